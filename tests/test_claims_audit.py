"""Every sentence the pages and lessons show that contains a number or a comparison is accounted for, next to
the text: a ``claim(check, text)`` (tests/test_claims.py runs its check), ``said(text)`` (declared to state
nothing to check: an instruction, a question that asserts nothing, a control's description, or an f-string whose
every number is formatted in from the view), or of a kind that states nothing by where it stands: a control's
label or option, a heading, or a formula in the Math & code panel, shown beside the code that computes it.

The audit reads the source with ``ast``, so a new static sentence ("converges twice as fast") fails here with its
file and line until it is computed, claimed or declared said.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted(ROOT.glob("pages/*.py")) + sorted(ROOT.glob("explorers/*.py")) + [ROOT / "ui" / "lessons.py"]

#: A number, or a word that compares or quantifies.
FACT = re.compile(
    r"\d|\b(half|halves|halve[sd]?|twice|double[sd]?|times|\w*fold|faster|slower|more than|less than|fewer|"
    r"always|never|every|at once|better|worse|best|worst|larger|smaller|bigger|higher|lower|exactly|most|least|"
    r"only|same)\b", re.I)
#: Calls whose first argument (or ``label=``) is a heading or a widget's label: a name, not a statement.
TITLES = {"subheader", "header", "title", "Step", "Lesson", "selectbox", "toggle", "button", "radio", "checkbox",
          "slider", "number_input", "metric", "expander", "page_link"}
#: Keyword arguments that are labels too.
LABEL_KEYWORDS = {"label", "options"}


@dataclass(frozen=True)
class Shown:
    path: str
    line: int
    text: str   # the static text; an f-string's values appear as {}
    kind: str   # claim, said, computed, label, heading, formula, or "" (unaccounted for)


def static_text(node: ast.AST) -> str:
    if isinstance(node, ast.Constant):
        return node.value
    return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)


def called(node: ast.Call) -> str:
    f = node.func
    return f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""


def panel_equations(tree: ast.Module) -> list:
    """The ``equations`` argument of every ``math_and_code`` call in a module."""
    found = []
    for n in ast.walk(tree):
        if isinstance(n, ast.Call) and called(n) == "math_and_code":
            eq = n.args[0] if n.args else next((k.value for k in n.keywords if k.arg == "equations"), None)
            found += [eq] if eq is not None else []
    return found


def shared_formula_names(trees) -> frozenset:
    """Constants (upper-case names) that a panel's equations read, directly or as ``module.NAME``: they may be
    defined in another module (an explorer's ``EQUATIONS``, ``UPDATE_RULES``)."""
    names = set()
    for tree in trees:
        for eq in panel_equations(tree):
            for m in ast.walk(eq):
                name = m.id if isinstance(m, ast.Name) else m.attr if isinstance(m, ast.Attribute) else ""
                if name.isupper():
                    names.add(name)
    return frozenset(names)


class Audit(ast.NodeVisitor):
    """Walks a module keeping the reason, if any, a string found below states nothing to check."""

    def __init__(self, path: str, tree: ast.Module, shared_formulas=frozenset()):
        self.path, self.found, self.context = path, [], [""]
        self.docstrings = {id(n.body[0].value) for n in ast.walk(tree)
                           if isinstance(n, (ast.Module, ast.FunctionDef, ast.ClassDef)) and n.body
                           and isinstance(n.body[0], ast.Expr) and isinstance(n.body[0].value, ast.Constant)}
        # module-level names whose strings reach the Math & code panel's equations (UPDATE_RULES[inspect]), and
        # the constants another module's panel reads from this one (explorer.EQUATIONS: an explorer declares them)
        self.formula_names, self.formula_functions = set(shared_formulas), set()
        for eq in panel_equations(tree):
            for m in ast.walk(eq):
                if isinstance(m, ast.Name):
                    self.formula_names.add(m.id)
                if isinstance(m, ast.Call) and isinstance(m.func, ast.Name):
                    self.formula_functions.add(m.func.id)

    def within(self, kind: str, *nodes) -> None:
        self.context.append(kind)
        for node in nodes:
            if node is not None:
                self.visit(node)
        self.context.pop()

    def visit_Call(self, node: ast.Call) -> None:
        name = called(node)
        if name in ("claim", "said"):
            self.visit(node.func)
            for a in node.args[:-1]:
                self.visit(a)
            return self.within(name, node.args[-1])
        if name == "math_and_code":
            eq = node.args[0] if node.args else None
            self.within("formula", eq, *(k.value for k in node.keywords if k.arg == "equations"))
            return self.generic_visit_except(node, eq, "equations")
        if name.endswith("Param"):  # (name, label, default, …): the label names the control
            label = node.args[1] if len(node.args) > 1 else None
            self.within("label", label, *(k.value for k in node.keywords if k.arg in LABEL_KEYWORDS))
            for a in node.args[2:]:
                self.visit(a)
            for k in node.keywords:
                if k.arg not in LABEL_KEYWORDS:
                    self.visit(k.value)
            return
        if name in TITLES:
            title = node.args[1] if name in ("Step", "Lesson") and len(node.args) > 1 else \
                node.args[0] if node.args and name not in ("Step", "Lesson") else None
            self.within("heading", title, *(k.value for k in node.keywords if k.arg == "label"))
            self.visit(node.func)
            for a in node.args:
                if a is not title:
                    self.visit(a)
            for k in node.keywords:
                if k.arg != "label":
                    self.visit(k.value)
            return
        self.generic_visit(node)

    def generic_visit_except(self, node: ast.Call, skip, keyword: str) -> None:
        self.visit(node.func)
        for a in node.args:
            if a is not skip:
                self.visit(a)
        for k in node.keywords:
            if k.arg != keyword:
                self.visit(k.value)

    def visit_Assign(self, node: ast.Assign) -> None:
        names = {t.id for t in node.targets if isinstance(t, ast.Name)}
        if names & self.formula_names:
            return self.within("formula", node.value)
        self.generic_visit(node)

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        if node.name in self.formula_functions:  # builds the panel's equations
            return self.within("formula", *node.body)
        self.generic_visit(node)

    def visit_Dict(self, node: ast.Dict) -> None:  # keys name things (slugs, columns), values may be shown
        for v in node.values:
            self.visit(v)

    def visit_Compare(self, node: ast.Compare) -> None:  # s["loss"] != "log_loss": a name, not a sentence
        pass

    def visit_Subscript(self, node: ast.Subscript) -> None:
        self.visit(node.value)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.record(node)
        for v in node.values:  # values formatted in may hold strings of their own
            if isinstance(v, ast.FormattedValue):
                self.visit(v.value)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and id(node) not in self.docstrings:
            self.record(node)

    def record(self, node) -> None:
        text = static_text(node)
        if " " not in text.strip() or not FACT.search(text.replace("{}", "")):
            return
        kind = self.context[-1]
        if kind == "said" and isinstance(node, ast.JoinedStr) and "{}" in text:
            kind = "computed"
        self.found.append(Shown(self.path, node.lineno, text, kind))


def audit(paths) -> list[Shown]:
    found = []
    trees = {path: ast.parse(Path(path).read_text(), filename=str(path)) for path in paths}
    shared = shared_formula_names(trees.values())
    for path, tree in trees.items():
        walker = Audit(str(Path(path).relative_to(ROOT) if Path(path).is_relative_to(ROOT) else path), tree, shared)
        walker.visit(tree)
        found += walker.found
    return found


def unaccounted(found: list[Shown]) -> list[str]:
    return [f"{s.path}:{s.line}: {s.text!r}" for s in found if not s.kind]


def test_every_shown_sentence_with_a_number_or_a_comparison_is_claimed_computed_or_declared_plain():
    found = audit(SOURCES)
    missing = unaccounted(found)
    assert not missing, ("sentences that state a number or a comparison with no check: compute them from the "
                         "view, write them as claim(check, text), or declare them said(text) if they state "
                         "nothing:\n" + "\n".join(missing))
    kinds = Counter(s.kind for s in found)
    assert kinds["claim"] >= 60 and kinds["formula"] > 0 and kinds["label"] > 0, kinds
    print(f"\n{len(found)} shown statements: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))


PAGE = '''
"""A page."""
import streamlit as st
from claims import claim, said
from ui.params import FloatParam
PARAMS = [FloatParam("lr", "Learning rate, at most 2", 0.1, help=said("How far each step moves."))]
st.subheader("1 · A heading with a number")
st.caption(claim(good, "Momentum reaches the minimum 3 times faster."))
st.caption(said(f"Lower η below {2:.3g}."))
math_and_code(equations=[r"\\eta < 2/\\lambda"], code=[])
'''


@pytest.mark.parametrize("sentence, shown", [
    ('st.caption("Momentum converges twice as fast here.")', "Momentum converges twice as fast here."),
    ('st.markdown(f"After {k} steps the loss is 10 times lower.")', "After {} steps the loss is 10 times lower."),
    ('Preset("Batch 1 is always ahead", {}, claim(good, "x"))', "Batch 1 is always ahead"),
    ('FloatParam("t", "Threshold", 0.5, help="The slider moves it at once.")', "The slider moves it at once."),
])
def test_the_audit_fails_on_a_new_static_sentence(tmp_path, sentence, shown):
    """A copy of a page with one more unchecked sentence is caught with its line; the page as it is, is not."""
    page = tmp_path / "page.py"
    page.write_text(PAGE)
    found = audit([page])
    assert not unaccounted(found), unaccounted(found)
    assert {s.kind for s in found} == {"label", "heading", "claim", "computed", "formula"}
    page.write_text(PAGE + sentence + "\n")
    line = PAGE.count("\n") + 1
    assert unaccounted(audit([page])) == [f"{page}:{line}: {shown!r}"]


def test_the_audit_fails_on_a_new_sentence_in_a_real_page(tmp_path):
    """The same on a copy of a real page: its sentences are all accounted for, one added caption is not."""
    source = (ROOT / "pages" / "fit-a-line.py").read_text()
    page = tmp_path / "fit_line.py"
    page.write_text(source + 'st.caption("Halving η always doubles the number of steps.")\n')
    assert unaccounted(audit([page])) == [
        f"{page}:{source.count(chr(10)) + 1}: 'Halving η always doubles the number of steps.'"]


def test_equations_an_explorer_declares_for_its_page_are_formulas_only_where_a_panel_shows_them(tmp_path):
    """``EQUATIONS`` in an explorer module, shown by its page's ``math_and_code(equations=explorer.EQUATIONS)``:
    formulas. The same constant that no panel reads is a string with digits like any other, and is caught."""
    module, page = tmp_path / "explorer.py", tmp_path / "page.py"
    module.write_text('EQUATIONS = [r"\\eta < 2/\\lambda_1"]\n')
    page.write_text("from explorers import mine as explorer\nmath_and_code(equations=explorer.EQUATIONS, code=[])\n")
    found = audit([module, page])
    assert not unaccounted(found) and [s.kind for s in found] == ["formula"]
    page.write_text("math_and_code(equations=[], code=[])\n")
    assert unaccounted(audit([module, page])) == [f"{module}:1: '\\\\eta < 2/\\\\lambda_1'"]
