"""MHLM core: multi-task training, similarity/importance, mapping and analog deployment.

Streamlit-free by design; the app and the CLI are thin layers over `mhlm_core.pipeline`.
Importing the package is cheap (no torch), so `python -m mhlm_core map|validate` stays fast.
"""

__version__ = "0.1.0"
SCHEMA_VERSION = "1.0"


class MHLMError(Exception):
    """A user-facing error: the app and the CLI show its message as is (no traceback)."""
