"""A verdict for people and machines.

:mod:`.render` (terminal table, JSON, Markdown), :mod:`.files` (the report
files a session writes) and :mod:`.card` (the Metaflow card).
"""
