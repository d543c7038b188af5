"""Source positions through the preprocessor (inalab/compiler/preprocess.py)."""

from __future__ import annotations

from pathlib import Path

from inalab.compiler.preprocess import preprocess


def test_columns_survive_whitespace_only_lines() -> None:
    """pcpp lexes a copy of each file with trailing whitespace stripped: a line after a
    whitespace-only line kept its indentation only once positions were read in that copy."""
    pp = preprocess("x\n    \n        b;\n", "x.p4")
    assert pp.text.splitlines()[1] == "        b;"
    assert (pp.loc(2, 9).line, pp.loc(2, 9).col) == (3, 9)


def test_columns_of_included_files_are_kept(tmp_path: Path) -> None:
    """Included files are opened while tokens are pulled; their lines keep their columns."""
    (tmp_path / "inc.p4").write_text("const bit<8> A = 1;\n  \n    const bit<8> B = 2;\n")
    pp = preprocess('#include "inc.p4"\n', str(tmp_path / "main.p4"), [tmp_path])
    lines = pp.text.splitlines()
    assert "    const bit<8> B = 2;" in lines
    i = lines.index("    const bit<8> B = 2;")
    assert pp.loc(i + 1, 5).line == 3 and pp.loc(i + 1, 5).file.endswith("inc.p4")


def test_tokens_after_a_macro_keep_their_source_column() -> None:
    """A macro's tokens carry the position of its definition, so they are appended with
    one space; the tokens after the use keep their own column (error carets stay right)."""
    src = "const bit<WIDTH> A = 1;"
    pp = preprocess(f"#define WIDTH 8\n{src}\n", "x.p4")
    line = pp.text.splitlines()[0]
    assert line.split() == ["const", "bit<", "8", ">", "A", "=", "1;"]
    assert line.index("> A") == src.index("> A")
