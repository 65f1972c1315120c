"""The optional remote Gallery API: client, credentials, sync. Nothing here is needed offline."""
