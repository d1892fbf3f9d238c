"""printable(): control characters in user data never reach the terminal raw."""

from modelgate.text import printable


def test_controls_are_escaped_and_unicode_is_kept():
    assert printable("a\x1b[2Jb\rc") == "a\\x1b[2Jb\\rc"
    assert printable("tab\there\nnl") == "tab\\there\\nnl"
    assert printable("del\x7f c1\x9b bidi\u202e ls\u2028") == "del\\x7f c1\\x9b bidi\\u202e ls\\u2028"
    assert printable("café 日本 🙂") == "café 日本 🙂"
    assert printable(3) == "3"
    assert printable("two\nlines\r\x1b", keep_newlines=True) == "two\nlines\\r\\x1b"
