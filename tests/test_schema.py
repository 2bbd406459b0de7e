"""mapping.json: round trip through JSON, and malformed documents rejected naming the field."""
import copy
import json

import pytest

from mhlm_core import MHLMError
from mhlm_core.mapping.schema import build_mapping, dumps, load_mapping, validate_mapping


def stats():
    layer = {"weight_params": 100, "other_params": 10, "weight_macs": 1000, "other_macs": 50}
    return {
        "dataset": "digits", "backbone": "mlp", "tasks": ["a", "b"], "pairs": ["a-b"],
        "layers": [dict(layer, name=f"fc{i}") for i in range(1, 4)],
        "heads": [{"weight_params": 5, "other_params": 1, "weight_macs": 5, "other_macs": 0}] * 2,
        "pair_jsd": [[[0.01, 0.01]], [[0.05, 0.05]], [[0.3, 0.3]]],
        "importance": [[0.5, 0.5]] * 3,
        "perf_per_task": [[0.9, 0.8]] * 4,
        "accounting": [{"shared_portion": 0.1 * k, "analog_params": 100 * k, "digital_params": 500 - 100 * k,
                        "analog_mac_pct": 20.0 * k, "param_reduction": 1 + 0.2 * k} for k in range(4)],
        "analog": {"tile": "cpp"}, "provenance": {"seed": 0},
    }


def test_round_trip():
    doc = build_mapping(stats(), tau=0.15, alpha=0.5, beta=1.0)
    assert doc["summary"]["shared_prefix"] == 2
    assert [l["placement"] for l in doc["layers"]] == ["analog", "analog", "digital"]
    assert doc["layers"][0]["params"] == 110 and doc["layers"][0]["jsd"] == pytest.approx(0.02)
    again = validate_mapping(json.loads(dumps(doc)))
    assert again == doc


def test_load_mapping_file_errors(tmp_path):
    with pytest.raises(MHLMError, match="not found"):
        load_mapping(tmp_path / "missing.json")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(MHLMError, match="not valid JSON"):
        load_mapping(bad)


def _broken(mutate):
    doc = build_mapping(stats(), tau=0.15, alpha=0.5, beta=1.0)
    mutate(doc)
    return doc


@pytest.mark.parametrize("mutate,field", [
    (lambda d: d.pop("schema_version"), "schema_version"),
    (lambda d: d.update(schema_version="2.0"), "schema_version"),
    (lambda d: d.pop("tasks"), "tasks"),
    (lambda d: d["thresholds"].update(tau=-1.0), "thresholds.tau"),
    (lambda d: d["thresholds"].update(alpha=2.0), "thresholds.alpha"),
    (lambda d: d["thresholds"].update(beta="x"), "thresholds.beta"),
    (lambda d: d["layers"][1].update(placement="gpu"), "layers[1].placement"),
    (lambda d: d["layers"][0].update(placement="digital"), "layers[0].placement"),
    (lambda d: d["layers"][2].pop("score"), "layers[2].score"),
    (lambda d: d["layers"][0].update(index=5), "layers[0].index"),
    (lambda d: d["layers"][1].update(params=-3), "layers[1].params"),
    (lambda d: (d["layers"][0].update(shared=False, placement="digital")), "layers[1].shared"),
    (lambda d: d["summary"].update(shared_prefix=3), "summary.shared_prefix"),
    (lambda d: d["summary"].update(shared_portion=1.5), "summary.shared_portion"),
    (lambda d: d["summary"].update(analog_mac_pct=True), "summary.analog_mac_pct"),
    (lambda d: d.pop("provenance"), "provenance"),
    (lambda d: d["heads"].update(placement="analog"), "heads.placement"),
])
def test_malformed_rejected_naming_field(mutate, field):
    with pytest.raises(MHLMError) as err:
        validate_mapping(_broken(mutate))
    assert f"'{field}" in str(err.value)


def test_non_object_rejected():
    with pytest.raises(MHLMError, match="JSON object"):
        validate_mapping([1, 2])
    assert copy.deepcopy(stats())  # the fixture itself is plain data
