"""Discovery: list a registry and resolve every kept tag to platform-specific digests."""
