"""Project-wide pytest setup.

The Metaflow isolation for the project's own tests lives in tests/conftest.py,
not here: this file is also loaded when a gate suite under examples/ is run
from the project root against a real run, which must see the user's real
Metaflow datastore.
"""

pytest_plugins = ("pytester",)
