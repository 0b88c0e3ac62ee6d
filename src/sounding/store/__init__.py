"""Where everything is kept: one SQLite file by default, PostgreSQL by URL.

    from sounding.store import Store, data_quality
    with Store.open("sounding.db") as store:
        store.students(); store.responses(); data_quality(store)
"""

from sounding.store.quality import DataQuality, data_quality
from sounding.store.store import Store, bulk_write, normalize_url, upgrade_database
from sounding.store.tables import SCHEMA_VERSION, metadata

__all__ = ["SCHEMA_VERSION", "DataQuality", "Store", "bulk_write", "data_quality", "metadata",
           "normalize_url", "upgrade_database"]
