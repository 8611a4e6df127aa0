"""Model packs: the protocol, the registry, no framework module importing a pack, no import cycles."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from corridor import packs
from corridor.errors import ScenarioError, UserInputError
from corridor.scenario.loader import load_scenario, scenario_from_dict

SRC = Path(__file__).resolve().parents[1] / "src" / "corridor"
FLEE_FIXTURE = Path(__file__).parent / "data" / "flee" / "test_input_csv"
SCENARIO_PROTOCOL = ("name", "model", "path", "seed", "first_day", "last_day", "spin_up_days", "breakdown",
                     "population_scale", "hash", "with_seed", "with_scale")


@pytest.mark.parametrize("name", ["corridor", "flee"])
def test_registered_packs_implement_the_protocol(name):
    pack = packs.get(name)
    assert isinstance(pack, packs.ModelPack) and pack.name == name
    known = {i.name for i in pack.indicators}
    assert set(pack.table_indicators) <= known and set(pack.sensitivity_indicators) <= known


def test_each_packs_scenario_offers_what_the_commands_need():
    from corridor.models.flee import load_flee_scenario

    for sc in (load_flee_scenario(FLEE_FIXTURE), load_scenario("corridor-2010-2011")):
        for attr in SCENARIO_PROTOCOL:
            assert hasattr(sc, attr), (type(sc).__name__, attr)
    flee = load_flee_scenario(FLEE_FIXTURE)
    assert (flee.model, flee.breakdown, flee.population_scale) == ("flee", ("all",), 0.2)
    assert (flee.last_day - flee.first_day).days == flee.n_days - 1
    assert flee.with_seed(7).seed == 7 and flee.with_seed(7).hash() != flee.hash()
    assert flee.with_settings(max_move_speed=100.0).hash() != flee.hash()


def test_arguments_go_to_the_pack_that_recognises_them(tmp_path):
    assert packs.for_arg(FLEE_FIXTURE).name == "flee"
    assert packs.for_arg(tmp_path / "out.csv").name == "flee"
    for arg in (None, "corridor-2010-2011", tmp_path / "my.yaml"):
        assert packs.for_arg(arg).name == "corridor"


def test_a_pack_is_registered_by_module_and_attribute(monkeypatch):
    monkeypatch.setitem(packs.REGISTRY, "toy", "corridor.models.flee.pack:PACK")
    packs._loaded.pop("toy", None)
    assert packs.get("toy") is packs.get("flee")
    with pytest.raises(UserInputError, match="unknown model 'nope'"):
        packs.get("nope")


def test_the_scenario_model_must_be_a_registered_pack(tiny_dict):
    with pytest.raises(ScenarioError) as info:
        scenario_from_dict({**tiny_dict, "model": "nope"})
    assert "unknown model 'nope'" in info.value.one_line()
    assert all(name in info.value.one_line() for name in packs.names())


def test_a_scenario_file_for_a_pack_that_reads_folders_is_refused(tmp_path, tiny_dict):
    import yaml

    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump({**tiny_dict, "model": "flee"}, sort_keys=False))
    with pytest.raises(ScenarioError, match="does not read scenario files"):
        packs.load_any(path)


def test_flee_options_on_a_scenario_file_are_refused(tmp_path):
    with pytest.raises(UserInputError, match="--settings applies to Flee scenario folders only"):
        packs.load_any("corridor-2010-2011", settings=tmp_path / "simsetting.yml")


# ---- the import graph ------------------------------------------------------------------------------

def _module_name(path: Path) -> str:
    parts = ["corridor", *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_package(module: str) -> bool:
    return (SRC.parent / module.replace(".", "/") / "__init__.py").is_file()


def _exists(module: str) -> bool:
    return _is_package(module) or (SRC.parent / (module.replace(".", "/") + ".py")).is_file()


def _type_checking_only(tree: ast.Module) -> set[int]:
    """ids of import nodes inside ``if TYPE_CHECKING:`` blocks (never run)."""
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for b in node.body for n in ast.walk(b)}
    return skip


def import_graph() -> dict[str, set[str]]:
    """Module -> the Corridor modules it imports, at module level or inside functions.

    ``from X import name`` counts as an import of ``X.name`` when that is a module. An import
    of one's own parent package is left out: Python imports a module's parents before it anyway.
    """
    graph: dict[str, set[str]] = {}
    for path in sorted(SRC.rglob("*.py")):
        module = _module_name(path)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _type_checking_only(tree)
        edges = set()
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name.startswith("corridor")}
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if not target.startswith("corridor"):
                    continue
                for alias in node.names:
                    sub = f"{target}.{alias.name}"
                    edges.add(sub if _exists(sub) else target)
        ancestors = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
        graph[module] = {e for e in edges if e != module and e not in ancestors and _exists(e)}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_framework_module_imports_a_pack():
    graph = import_graph()
    offenders = {m: sorted(e for e in edges if e.startswith("corridor.models."))
                 for m, edges in graph.items() if not m.startswith("corridor.models")}
    assert {m: e for m, e in offenders.items() if e} == {}


def test_the_package_has_no_import_cycles():
    assert _cycles(import_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
