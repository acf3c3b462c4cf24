"""The app's own code, copied into an exported notebook so that it runs outside the repository.

``carry(entries, notebook_names)`` takes the app names a notebook's cells use (``("core.datasets", "make_line")``,
…) and returns the top-level definitions they need, module by module: each one's source as its file has it (the
same text the Math & code panel shows), and what it uses in turn — helpers, constants, classes, the third-party
imports — found by asking ``symtable`` which global names every definition reads. Modules come in the order
Python imports them, definitions in their file's order, each module as one code cell.

The copies share one namespace, the notebook's. When two copied modules define the same name (private helpers
such as ``_check_xy``), the later module's copy is renamed throughout the carried code (``_check_xy__datasets_2d``)
and its cell says so; where that cannot be done safely (the name is also a local somewhere in the code renamed), or
a copied function reads a global that the notebook's own cells rebind, building the notebook raises
``CarryError``, as does any way of importing the app this module does not understand. A name that is
used but not carried cannot be missed: the closure follows every global read (tests/test_notebooks.py also checks
every exported notebook defines every name it uses, and runs each one where the app cannot be imported).
"""

from __future__ import annotations

import ast
import symtable
from dataclasses import dataclass
from functools import lru_cache

from ui.registry import ROOT

#: The app's packages whose code a notebook may need; anything else it imports stays an import. (From
#: ``explorers`` a notebook calls the computations the page calls: what it carries from there must not need
#: Streamlit, which a notebook does not have. ``private_apis`` is the app's one module of private Streamlit and
#: Plotly uses: a notebook carries its public versions below.)
PACKAGES = ("private_apis", "core", "viz", "baselines", "explorers")

#: Definitions a notebook carries in another version, each with why: the app's own needs something outside
#: numpy, scipy, scikit-learn, pandas and plotly. (module, name) → (why, source).
NOTEBOOK_VERSIONS: dict[tuple[str, str], tuple[str, str]] = {
    ("private_apis", "unchecked_figure"): (
        "`unchecked_figure` builds its figure with Plotly's public constructor, which validates it: the same "
        "figure, built more slowly (the app skips the check with a private switch, for figures already checked).",
        '''\
def unchecked_figure(spec=None, **parts):
    """``go.Figure(spec)``: the app builds it without Plotly's validation; a notebook validates it."""
    import plotly.graph_objects as go

    return go.Figure(spec, **parts)'''),
    ("viz.raster", "png_data_uri"): (
        "`png_data_uri` writes its PNG with the standard library's `zlib` instead of Pillow (which comes with the "
        "app's Streamlit): the same pixels in slightly different bytes.",
        '''\
def png_data_uri(picture: np.ndarray) -> str:
    """A picture as a ``data:image/png;base64,...`` address (Plotly's layout image ``source``)."""
    import struct
    import zlib

    height, width, channels = picture.shape
    colour_type = {3: 2, 4: 6}[channels]  # RGB or RGBA, 8 bits a channel
    rows = np.ascontiguousarray(picture, dtype=np.uint8).reshape(height, width * channels)
    # PNG's "Up" filter (each row minus the one above, byte by byte) makes smooth pictures compress well
    filtered = np.hstack([np.full((height, 1), 2, np.uint8), np.diff(rows, axis=0, prepend=np.uint8(0))])

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    png = (b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour_type, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(filtered.tobytes(), 6)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")'''),
    ("core.tsne_attraction", "AttractionProcess"): (
        "`AttractionProcess` starts the app's `core/tsne_attraction.py` as a helper process for t-SNE's attraction, "
        "and a notebook has no app to start it from: here it declines, and t-SNE computes the attraction in the "
        "notebook's own process (the same numbers, on one core).",
        '''\
class AttractionProcess:
    """The app's helper process for t-SNE's attraction: not in a notebook (t-SNE then does it in this process)."""

    def __init__(self, *args, **kwargs):
        raise OSError("no helper process in a notebook: the attraction runs in this process")'''),
    ("core.embedding_data", "load_table"): (
        "`load_table` reads the real tables from scikit-learn instead of the app's `core/data/*.npz` files, which "
        "hold the same numbers (a test in the app checks they equal scikit-learn's).",
        '''\
@lru_cache(maxsize=None)
def load_table(name: str) -> dict[str, np.ndarray]:
    """The arrays of scikit-learn's table ``name`` (X, y, feature_names, target_names), read-only."""
    import sklearn.datasets

    table = getattr(sklearn.datasets, f"load_{name}")()
    arrays = {"X": table.data.astype(np.uint8) if name == "digits" else table.data,  # digits: whole numbers 0-16
              "y": table.target.astype(np.uint8),
              "feature_names": np.array(table.feature_names, dtype=str),
              "target_names": np.array([str(t) for t in table.target_names], dtype=str)}
    for array in arrays.values():
        array.setflags(write=False)
    return arrays'''),
}


class CarryError(ValueError):
    """The app's code cannot be copied into a notebook as it is (see the module's docstring)."""


@dataclass(frozen=True)
class Statement:
    """One top-level statement of an app module, as a notebook would carry it."""

    index: int
    source: str  # as carried: imports of the app inside functions become comments
    binds: frozenset[str]  # the global names it binds
    reads: frozenset[str]  # the global names it reads when it runs or its functions do (annotations aside)
    mentions: frozenset[str]  # every name in it: a statement that only acts on others (sets a __doc__) goes with them
    acts: bool  # neither a definition nor an import: kept when it mentions something kept
    nested: tuple[tuple[str, str, str], ...]  # (name, module, name) imported from the app inside its functions
    identity: tuple | None = None  # a third-party import: what it binds, e.g. ("numpy",) or ("numbers", "Real")


@dataclass(frozen=True)
class Module:
    name: str
    path: str
    statements: tuple[Statement, ...]
    app_imports: dict  # name → (module, name), from its top-level ``from core… import``
    imports_from: tuple[str, ...]  # the app modules it imports at the top, in order


@dataclass(frozen=True)
class Carried:
    """One module's carried code: its path, the names asked for, the definitions replaced (with why), the cell."""

    module: str
    path: str
    wanted: tuple[str, ...]
    replaced: tuple[tuple[str, str], ...]
    renamed: tuple[tuple[str, str], ...]  # (name in the app, name in the notebook)
    code: str


def is_app(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in PACKAGES


def app_imports_of(code: str) -> tuple[list[tuple[str, str]], list[tuple[int, int]]]:
    """The ``(module, name)`` of every top-level ``from core… import name`` in ``code``, and their line spans."""
    entries, spans = [], []
    for node in ast.parse(code).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and _app_import(node):
            entries += [(module, name) for _, (module, name) in _app_names(node).items()]
            spans.append((node.lineno, node.end_lineno))
    return entries, spans


def bindings_of(code: str) -> dict[str, tuple | None]:
    """The global names ``code`` binds: an import's identity (``("numpy",)``), or None for anything else."""
    table = symtable.symtable(code, "<cell>", "exec")
    bound = {s.get_name(): None for s in table.get_symbols() if s.is_assigned() or s.is_imported() or s.is_namespace()}
    for node in ast.parse(code).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)) and not _app_import(node):
            bound.update(_import_identities(node))
    return bound


def carry(entries, notebook_names: dict[str, tuple | None]) -> list[Carried]:
    """The carried cells for app names ``entries`` (``(module, name)`` pairs), in the order they must run.

    ``notebook_names`` are the names the notebook's own cells bind (:func:`bindings_of`): a carried function must
    not read one of them as its own global.
    """
    kept: dict[str, set[int]] = {}
    wanted: dict[str, list[str]] = {}
    todo = list(entries)
    for module, name in entries:
        owner = _owner(module, name)
        if owner is None or owner[0] == "import":
            raise CarryError(f"{module}.{name} is not defined in the app.")
        wanted.setdefault(owner[1], []).append(name)
    while todo:
        while todo:
            _keep(*todo.pop(), kept, todo)
        for module, indices in kept.items():  # statements acting on kept ones (setting a __doc__, registering)
            names = {n for i in indices for n in _module(module).statements[i].binds
                     if _module(module).statements[i].identity is None}  # (not every use of `np`)
            for statement in _module(module).statements:
                if statement.acts and statement.index not in indices and statement.mentions & names:
                    indices.add(statement.index)
                    todo += [(module, n) for n in statement.reads]
    order = _import_order(kept)
    renames = _renames(kept, order)
    _check_one_namespace(kept, renames, notebook_names)
    return [_cell(module, sorted(kept[module]), wanted.get(module, []), renames) for module in order]


# ------------------------------------------------------------------------------------------- reading modules


def _module(name: str) -> Module:
    path = ROOT / (name.replace(".", "/") + ".py")
    if not path.is_file():
        raise CarryError(f"No app module {name} (looked for {path}).")
    return _parsed(name, path.stat().st_mtime_ns)  # an edited file is read again, as inspect.getsource would


@lru_cache(maxsize=64)
def _parsed(name: str, mtime: int) -> Module:
    path = ROOT / (name.replace(".", "/") + ".py")
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    tree = ast.parse(text)
    statements, app_imports, imports_from = [], {}, []
    replacements = {n: v for (m, n), v in NOTEBOOK_VERSIONS.items() if m == name}
    for node in tree.body:
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]:
            continue  # the module's docstring
        if isinstance(node, ast.ImportFrom) and node.module == "__future__":
            continue  # every carried cell starts with its own
        if isinstance(node, (ast.Import, ast.ImportFrom)) and _app_import(node):
            app_imports.update(_app_names(node))
            imports_from += [m for m, _ in _app_names(node).values() if m not in imports_from]
            continue
        binds = _binds(node)
        if len(binds) == 1 and next(iter(binds)) in replacements:
            source = replacements.pop(next(iter(binds)))[1]
            node = ast.parse(source).body[0]
        else:
            source = _source(node, lines)
        statements.append(_statement(len(statements), node, source, name))
    if replacements:
        raise CarryError(f"{name} no longer defines {', '.join(replacements)}: update NOTEBOOK_VERSIONS.")
    return Module(name, path.relative_to(ROOT).as_posix(), tuple(statements), app_imports, tuple(imports_from))


def _app_import(node) -> bool:
    if isinstance(node, ast.ImportFrom):
        if node.level:
            raise CarryError(f"A relative import (line {node.lineno}) cannot be carried into a notebook.")
        return is_app(node.module)
    app = [alias.name for alias in node.names if is_app(alias.name)]
    if app:
        raise CarryError(f"`import {app[0]}` (line {node.lineno}): a notebook carries names, not modules; "
                         "use `from … import name`.")
    return False


def _app_names(node: ast.ImportFrom) -> dict[str, tuple[str, str]]:
    renamed = [alias for alias in node.names if alias.asname and alias.asname != alias.name]
    if renamed or any(alias.name == "*" for alias in node.names):
        raise CarryError(f"`from {node.module} import …` (line {node.lineno}) renames or stars a name: the carried "
                         "code shares one namespace, so each name must keep its own.")
    return {alias.name: (node.module, alias.name) for alias in node.names}


def _import_identities(node) -> dict[str, tuple]:
    if isinstance(node, ast.Import):
        return {alias.asname or alias.name.split(".")[0]: ((alias.name,) if alias.asname else
                                                           (alias.name.split(".")[0],)) for alias in node.names}
    return {alias.asname or alias.name: (node.module, alias.name) for alias in node.names}


def _binds(node) -> frozenset[str]:
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return frozenset({node.name})
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return frozenset(_import_identities(node))
    table = symtable.symtable(ast.unparse(node), "<statement>", "exec")
    return frozenset(s.get_name() for s in table.get_symbols() if s.is_assigned() or s.is_imported())


def _source(node, lines: list[str]) -> str:
    """The statement's lines, with its decorators and the comment lines just above it."""
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
    while first > 0 and lines[first - 1].startswith("#"):
        first -= 1
    return "\n".join(lines[first:node.end_lineno])


class _NoAnnotations(ast.NodeTransformer):
    """A function's annotations are never evaluated (every carried cell has ``from __future__ import
    annotations``). A class's are kept: ``dataclasses`` looks ``ClassVar`` up by name in the namespace."""

    def visit_arg(self, node):
        node.annotation = None
        return node

    def visit_FunctionDef(self, node):
        node.returns = None
        return self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef


def _statement(index: int, node, source: str, module: str) -> Statement:
    nested, lines = [], source.splitlines()
    offset = node.lineno - 1 - (len(lines) - (node.end_lineno - node.lineno + 1))  # file line of source's line 1
    for inner in ast.walk(node):
        if inner is node or not isinstance(inner, (ast.Import, ast.ImportFrom)) or not _app_import(inner):
            continue
        names = _app_names(inner)
        nested += [(n, *target) for n, target in names.items()]
        start, end = inner.lineno - 1 - offset, inner.end_lineno - offset
        indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
        where = ", ".join(f"{n} from {m.replace('.', '/')}.py" for n, (m, _) in names.items())
        lines[start:end] = [f"{indent}# ({where}: copied above)"] + [""] * (end - start - 1)
    if nested:
        source = "\n".join(lines)
        node = ast.parse(source).body[0]
    acts = not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import, ast.ImportFrom))
    if isinstance(node, (ast.Assign, ast.AnnAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        acts = not all(isinstance(t, (ast.Name, ast.Tuple)) for t in targets)  # X[k] = … or X.a = … acts on X
    table = symtable.symtable(ast.unparse(_NoAnnotations().visit(ast.parse(source))), module, "exec")
    reads, scopes = set(), [table]
    while scopes:
        scope = scopes.pop()
        reads |= {s.get_name() for s in scope.get_symbols()
                  if s.is_referenced() and (scope is table or s.is_global())}
        scopes.extend(scope.get_children())
    identity = _import_identities(node) if isinstance(node, (ast.Import, ast.ImportFrom)) else None
    return Statement(index, source, _binds(node), frozenset(reads),
                     frozenset(n.id for n in ast.walk(node) if isinstance(n, ast.Name)), acts, tuple(nested),
                     tuple(sorted(identity.items())) if identity else None)


# ------------------------------------------------------------------------------------------- the closure


def _owner(module: str, name: str, seen: tuple = ()) -> tuple | None:
    """Where ``name`` read in ``module`` comes from: ``("def", module)``, ``("import", identity)``, or None
    (a builtin, or a local the module never binds at its top)."""
    if (module, name) in seen:
        raise CarryError(f"{module}.{name} imports itself in a circle.")
    mod = _module(module)
    binders = [s for s in mod.statements if name in s.binds]
    if binders and binders[0].identity is not None and all(s.identity is not None for s in binders):
        return ("import", dict(binders[-1].identity)[name])
    if binders:
        return ("def", module)
    if name in mod.app_imports:
        return _owner(*mod.app_imports[name], seen + ((module, name),))
    return None


def _keep(module: str, name: str, kept: dict, todo: list) -> None:
    """Keep the statements that bind ``name`` as ``module`` sees it, and queue what they read."""
    owner = _owner(module, name)
    if owner is None:
        return
    home = module if owner[0] == "import" else owner[1]  # (an app name keeps its name: _app_names refuses renaming)
    indices = kept.setdefault(home, set())
    for statement in _module(home).statements:
        if name in statement.binds and statement.index not in indices:
            indices.add(statement.index)
            nested = {n: (m, target) for n, m, target in statement.nested}
            todo += [nested.get(read, (home, read)) for read in statement.reads]


def _renames(kept: dict, order: list[str]) -> dict[tuple[str, str], str]:
    """``(module, name)`` → its name in the notebook, for every definition whose name another copied module also
    defines: the definition the carried code reads most keeps its name, so the least code differs from the app's.
    Imports must agree: one name imported as two things, or as an import and a definition, raises."""
    owners: dict[str, list[tuple]] = {}
    for module in order:
        for i in sorted(kept[module]):
            statement = _module(module).statements[i]
            identity = dict(statement.identity) if statement.identity else {}
            for name in sorted(statement.binds):
                owner = ("import", identity[name]) if name in identity else ("def", module)
                if owner not in owners.setdefault(name, []):
                    owners[name].append(owner)
    renames = {}
    for name, found in owners.items():
        if len(found) == 1:
            continue
        if any(owner[0] == "import" for owner in found):
            raise CarryError(f"Copied into one notebook, {name!r} would be both "
                             f"{' and '.join(_describe(owner) for owner in found)}.")
        readers = {owner: sum(1 for module, indices in kept.items() for i in indices
                              if _reads(module, _module(module).statements[i], name) == owner) for owner in found}
        keeps = max(found, key=lambda owner: readers[owner])  # (max keeps the first of a tie: import order)
        renames.update({(owner[1], name): f"{name}__{owner[1].rsplit('.', 1)[-1]}" for owner in found
                        if owner != keeps})
    return renames


def _reads(module: str, statement: Statement, name: str) -> tuple | None:
    """Where ``name`` comes from in ``statement``, if it reads it."""
    if name not in statement.reads:
        return None
    nested = {n: (m, target) for n, m, target in statement.nested}
    return _owner(*nested.get(name, (module, name)))


def _describe(owner: tuple) -> str:
    return f"`import {'.'.join(owner[1])}`" if owner[0] == "import" else owner[1].replace(".", "/") + ".py"


def _notebook_name(module: str, name: str, nested: dict, renames: dict) -> tuple[str, tuple | None]:
    """What ``name``, as ``module`` reads it, is called in the notebook, and where it comes from."""
    owner = _owner(*nested.get(name, (module, name)))
    if owner is not None and owner[0] == "def":
        return renames.get((owner[1], name), name), owner
    return name, owner


def _check_one_namespace(kept: dict, renames: dict, notebook_names: dict) -> None:
    """Every global a carried statement reads is, in the notebook, what it is in the statement's own module."""
    flat: dict[str, tuple] = {}
    for module, indices in kept.items():
        for i in indices:
            statement = _module(module).statements[i]
            identity = dict(statement.identity) if statement.identity else {}
            for name in statement.binds:
                owner = ("import", identity[name]) if name in identity else ("def", module)
                flat[renames.get((module, name), name)] = owner
    for module, indices in kept.items():
        for i in indices:
            statement = _module(module).statements[i]
            nested = {n: (m, target) for n, m, target in statement.nested}
            for read in statement.reads:
                name, expected = _notebook_name(module, read, nested, renames)
                found = flat.get(name)
                if name in notebook_names:
                    mine = notebook_names[name]
                    found = ("import", mine) if mine is not None else ("the notebook's own cells",)
                where = module.replace(".", "/") + ".py"
                if found is None and expected is not None:
                    raise CarryError(f"{where} reads the global {name!r}, which the notebook would not define.")
                if found != expected:
                    raise CarryError(f"{where} reads the global {name!r}, which in the notebook would be "
                                     f"{found[0] if found else 'a builtin'}: rename one of them.")


def _renamed(source: str, mapping: dict[str, str]) -> str:
    """``source`` with every global ``name`` in ``mapping`` renamed; refuses a name that is also a local there."""
    if not mapping:
        return source
    tree = ast.parse(source)
    table = symtable.symtable(source, "<statement>", "exec")
    scopes = [table]
    while scopes:
        scope = scopes.pop()
        local = [n for n in mapping if scope is not table and n in scope.get_identifiers()
                 and not scope.lookup(n).is_global()]
        if local:
            raise CarryError(f"Cannot rename {local[0]!r} in the carried code: it is also a local name in "
                             f"{scope.get_name()}.")
        scopes.extend(scope.get_children())
    spots = []  # (line, column, old name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            spots.append((node.lineno, node.col_offset, node.id))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and node.name in mapping:
            line = source.splitlines()[node.lineno - 1]
            keyword = "class " if isinstance(node, ast.ClassDef) else "def "
            spots.append((node.lineno, line.index(keyword + node.name) + len(keyword), node.name))
        elif isinstance(node, ast.Global) and set(node.names) & set(mapping):
            raise CarryError(f"Cannot rename a name declared `global` (line {node.lineno}) in the carried code.")
    lines = source.splitlines()
    for row, column, old in sorted(spots, reverse=True):
        text = lines[row - 1]
        offset = len(text.encode()[:column].decode())  # ast columns count UTF-8 bytes
        assert text[offset:offset + len(old)] == old, (text, old)
        lines[row - 1] = text[:offset] + mapping[old] + text[offset + len(old):]
    return "\n".join(lines)


def _import_order(kept: dict) -> list[str]:
    """The kept modules, each after the app modules it imports at its top (as Python runs them)."""
    order: list[str] = []

    def visit(module: str, path: tuple = ()):
        if module in order or module in path:
            return
        for dependency in _module(module).imports_from:
            if dependency in kept:
                visit(dependency, path + (module,))
        order.append(module)

    for module in sorted(kept, key=lambda m: (PACKAGES.index(m.split(".")[0]), m)):
        visit(module)
    return order


def _cell(module: str, indices: list[int], wanted: list[str], renames: dict) -> Carried:
    mod = _module(module)
    parts = ["from __future__ import annotations"]
    previous = None
    for i in indices:
        statement = mod.statements[i]
        nested = {n: (m, target) for n, m, target in statement.nested}
        mapping = {}
        for name in statement.reads | (statement.binds if statement.identity is None else frozenset()):
            new, _ = _notebook_name(module, name, nested, renames)
            if new != name:
                mapping[name] = new
        kind = "import" if statement.identity else "code"
        parts.append(("\n" if kind == previous == "import" else "\n\n\n" if previous else "\n\n")
                     + _renamed(statement.source, mapping))
        previous = kind
    replaced = tuple((n, why) for (m, n), (why, _) in NOTEBOOK_VERSIONS.items()
                     if m == module and any(n in mod.statements[i].binds for i in indices))
    renamed = tuple(sorted((n, new) for (m, n), new in renames.items() if m == module))
    return Carried(module, mod.path, tuple(dict.fromkeys(wanted)), replaced, renamed, "".join(parts))
