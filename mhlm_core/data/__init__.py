"""Dataset registry: name -> loader(**options) returning `MultiTaskData`."""
from . import belgiumts, coco, csv_tabular, digits, shapes, signs
from .base import MultiTaskData, TaskSpec

DATASETS = {
    "digits": digits.load,
    "csv": csv_tabular.load,
    "shapes": shapes.load,
    "signs": signs.load,
    "coco": coco.load,
    "belgiumts": belgiumts.load,
}


def load_dataset(name, **options):
    from .. import MHLMError
    if name not in DATASETS:
        raise MHLMError(f"unknown dataset '{name}'; choose one of {sorted(DATASETS)}")
    return DATASETS[name](**options)


__all__ = ["DATASETS", "MultiTaskData", "TaskSpec", "load_dataset"]
