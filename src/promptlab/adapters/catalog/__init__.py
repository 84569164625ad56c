"""The model catalog: a TOML file shipped with promptlab, merged with a deployment's file."""

from promptlab.adapters.catalog.loader import Catalog, CatalogError, load_catalog

__all__ = ["Catalog", "CatalogError", "load_catalog"]
