"""The store: schema, engine, migrations, full-text index, kept pages, versions and run records."""
