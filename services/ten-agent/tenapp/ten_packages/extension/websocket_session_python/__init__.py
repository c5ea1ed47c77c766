from . import addon  # noqa: F401  (registers the addon when TEN loads the package)
