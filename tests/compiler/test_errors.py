"""CompileError's text: p4c-like location, echoed source line and caret, capped in length."""

from __future__ import annotations

from pathlib import Path

from inalab.compiler.errors import ECHO_MAX, TOKEN_MAX, CompileError, SourceLoc, clip_line


def test_a_short_line_is_echoed_whole_with_the_caret_under_the_column() -> None:
    e = CompileError("bad", SourceLoc("a.p4", 3, 5), source_line="abc defg")
    assert str(e) == "a.p4:3:5: error: bad\nabc defg\n    ^"


def test_a_long_line_is_cut_around_the_column_and_the_caret_stays_on_its_character() -> None:
    line = "a" * 5000 + "X" + "b" * 5000
    e = CompileError("syntax error", SourceLoc("a.p4", 1, 5001), source_line=line)
    _, echoed, caret = str(e).split("\n")
    assert echoed.startswith("...") and echoed.endswith("...")
    assert len(echoed) <= ECHO_MAX + 6
    assert echoed[caret.index("^")] == "X"


def test_the_cut_keeps_the_start_or_the_end_of_the_line_when_the_column_is_there() -> None:
    line = "X" + "a" * 1000 + "Y"
    text, at = clip_line(line, 0)
    assert text[at] == "X" and not text.startswith("...") and text.endswith("...")
    text, at = clip_line(line, len(line) - 1)
    assert text[at] == "Y" and text.startswith("...") and not text.endswith("...")


def test_a_huge_token_in_the_message_is_cut_and_its_length_said(tmp_path: Path) -> None:
    token = "y" * 10_000
    src = tmp_path / "long.p4"
    src.write_text(f"const bit<8> a = 1; {token}\n")
    e = CompileError(f"syntax error, unexpected '{token}'", SourceLoc(str(src), 1, 21))
    text = str(e)
    assert len(text) < 2 * ECHO_MAX + TOKEN_MAX + len(str(src)) + 100
    assert "(10000 characters)'" in text.splitlines()[0]
    _, echoed, caret = text.split("\n")
    assert echoed[caret.index("^")] == "y" and echoed[caret.index("^") - 1] == " "
