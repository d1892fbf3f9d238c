"""A verdict for people and machines.

:mod:`.render` (terminal table, JSON, Markdown), :mod:`.files` (the report
files a session writes), :mod:`.card` (the Metaflow card) and :mod:`.forest` (the
forest plot's panels, drawn by the card as a figure and by the Markdown as text).
"""
