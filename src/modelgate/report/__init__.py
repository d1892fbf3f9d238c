"""A verdict for people and machines.

:mod:`.render` (terminal table, JSON, Markdown), :mod:`.files` (the report
files a session writes), :mod:`.card` (the Metaflow card's components and figures),
:mod:`.card_page` (the ``@card(type="modelgate")`` page: self-contained HTML) and
:mod:`.forest` (the forest plot's panels, drawn by the cards as a figure and by the
Markdown as text).
"""
