"""The object store: layout (one module) and filesystem / S3 backends."""
