"""The spine: settings, app factory, WeChat gateway, dialog engine, store, database, CLI."""
