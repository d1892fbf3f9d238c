"""Everything that talks to Metaflow.

:mod:`.runs` (run specs, artifacts, the champion, the client cache),
:mod:`.tagging` (the deployment tag), :mod:`.outages` (a service that cannot be
reached, said as such) and :mod:`.promote` (``python -m modelgate promote``).
"""
