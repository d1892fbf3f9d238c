"""The metamorphic suite: every example gate under transformations that must not
change its verdict, and under transformations that must fail it (see README,
Development). A package, so that its conftest does not shadow tests/conftest.py."""
