"""Object-store backends: local filesystem and S3 through the minio SDK (does I/O).

Writes are atomic: the filesystem writes a temp file and renames it; S3 does a
single PUT. Library errors are re-raised as StoreError naming the endpoint. Files and
folders are as readable as the umask allows (0644 / 0755 with the usual 022), like any
file a command writes: results are meant for teammates and CI (no secret is stored).
"""

from __future__ import annotations

import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from job_images.store.protocol import ObjectStore
from regscan.common.errors import InvalidInput, StoreError
from regscan.common.layout import check_key

__all__ = ["FilesystemStore", "ObjectStore", "S3Settings", "S3Store", "s3_settings_from_env"]


def current_umask() -> int:
    """The process umask (read by setting it and putting it back; done once per store)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class FilesystemStore:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.file_mode = 0o666 & ~current_umask()  # mkstemp's 0600 widened as open() would
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"cannot create output dir {root}: {exc}") from exc

    def _path(self, key: str) -> Path:
        path = (self.root / check_key(key)).resolve()
        if not path.is_relative_to(self.root):
            raise InvalidInput("key", f"{key!r} escapes the store root")
        return path

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {key} under {self.root}: {exc}") from exc

    def put(self, key: str, data: bytes, content_type: str = "application/json") -> None:
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
            os.fchmod(fd, self.file_mode)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            raise StoreError(f"cannot write {key} under {self.root}: {exc}") from exc

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def list(self, prefix: str) -> list[str]:
        base = self.root / prefix
        folder = base if base.is_dir() else base.parent
        if not folder.is_dir():
            return []
        out = []
        for path in folder.rglob("*"):
            if path.is_file() and not path.name.startswith(".tmp-"):
                key = path.relative_to(self.root).as_posix()
                if key.startswith(prefix):
                    out.append(key)
        return sorted(out)

    def url(self, key: str) -> str:
        return str(self._path(key))


@dataclass(frozen=True)
class S3Settings:
    endpoint: str  # URL (http:// or https://) or host:port (https)
    bucket: str
    access_key: str
    secret_key: str
    prefix: str = ""
    ca_file: str | None = None
    insecure: bool = False
    region: str | None = None

    def __repr__(self) -> str:
        return f"S3Settings({self.endpoint!r}, bucket={self.bucket!r}, prefix={self.prefix!r})"


class S3Store:
    """An S3 bucket (MinIO in the cluster). Checks the bucket and credentials at start."""

    def __init__(self, settings: S3Settings, create_bucket: bool = True) -> None:
        import urllib3
        from minio import Minio
        from minio.error import MinioException, S3Error

        self.settings = settings
        endpoint = settings.endpoint
        secure = not endpoint.startswith("http://")
        host = endpoint.split("://", 1)[-1].rstrip("/")
        self._prefix = settings.prefix.strip("/") + "/" if settings.prefix.strip("/") else ""
        if self._prefix:
            check_key(self._prefix.rstrip("/"))
        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=5, read=60),
            retries=urllib3.Retry(
                total=2, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]
            ),
            cert_reqs="CERT_NONE" if settings.insecure else "CERT_REQUIRED",
            ca_certs=settings.ca_file or os.environ.get("SSL_CERT_FILE") or None,
            maxsize=16,
        )
        self._client = Minio(
            host,
            settings.access_key,
            settings.secret_key,
            secure=secure,
            region=settings.region,
            http_client=http,
        )
        self._s3error = S3Error
        self._minio_error = MinioException
        self.where = f"s3 {endpoint} bucket {settings.bucket}"
        try:
            if not self._client.bucket_exists(settings.bucket):
                if not create_bucket:
                    raise StoreError(f"{self.where}: bucket does not exist")
                self._client.make_bucket(settings.bucket)
        except S3Error as exc:
            raise StoreError(f"{self.where}: {exc.code} (check the access key and secret)") from exc
        except MinioException as exc:
            raise StoreError(
                f"{self.where}: the endpoint does not answer like S3 ({type(exc).__name__}); "
                "check --s3-endpoint"
            ) from exc
        except ValueError as exc:
            raise InvalidInput("s3-bucket", str(exc)) from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreError(f"{self.where}: unreachable ({_cause(exc)})") from exc

    def _key(self, key: str) -> str:
        return self._prefix + check_key(key)

    def _call(self, what: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
        import urllib3

        try:
            return fn(*args, **kwargs)
        except self._s3error as exc:
            raise StoreError(f"{self.where}: {what}: {exc.code}") from exc
        except self._minio_error as exc:
            raise StoreError(f"{self.where}: {what}: {type(exc).__name__}") from exc
        except (urllib3.exceptions.HTTPError, OSError) as exc:
            raise StoreError(f"{self.where}: {what}: {type(exc).__name__}") from exc

    def get(self, key: str) -> bytes | None:
        from minio.error import S3Error

        try:
            resp = self._client.get_object(self.settings.bucket, self._key(key))
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject"):
                return None
            raise StoreError(f"{self.where}: get {key}: {exc.code}") from exc
        except Exception as exc:
            raise StoreError(f"{self.where}: get {key}: {type(exc).__name__}") from exc
        try:
            return bytes(resp.read())
        finally:
            resp.close()
            resp.release_conn()

    def put(self, key: str, data: bytes, content_type: str = "application/json") -> None:
        self._call(
            f"put {key}",
            self._client.put_object,
            self.settings.bucket,
            self._key(key),
            io.BytesIO(data),
            len(data),
            content_type=content_type,
        )

    def exists(self, key: str) -> bool:
        from minio.error import S3Error

        try:
            self._client.stat_object(self.settings.bucket, self._key(key))
            return True
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NotFound"):
                return False
            raise StoreError(f"{self.where}: stat {key}: {exc.code}") from exc

    def delete(self, key: str) -> None:
        self._call(
            f"delete {key}", self._client.remove_object, self.settings.bucket, self._key(key)
        )

    def list(self, prefix: str) -> list[str]:
        objects = self._call(
            f"list {prefix}",
            lambda: list(
                self._client.list_objects(
                    self.settings.bucket, prefix=self._prefix + prefix, recursive=True
                )
            ),
        )
        return sorted(o.object_name[len(self._prefix) :] for o in objects)

    def url(self, key: str) -> str:
        return f"s3://{self.settings.bucket}/{self._key(key)}"


def _cause(exc: BaseException) -> str:
    """The innermost reason of a urllib3 error (refused, name resolution, TLS ...)."""
    reason = getattr(exc, "reason", None) or exc
    text = str(reason).split(": ", 1)[-1] if ": " in str(reason) else str(reason)
    return f"{type(exc).__name__}: {text[:200]}"


def s3_settings_from_env(
    endpoint: str,
    bucket: str,
    prefix: str = "",
    *,
    ca_file: str | None = None,
    insecure: bool = False,
) -> S3Settings:
    env = os.environ
    access = env.get("AWS_ACCESS_KEY_ID") or env.get("MINIO_ROOT_USER")
    secret = env.get("AWS_SECRET_ACCESS_KEY") or env.get("MINIO_ROOT_PASSWORD")
    if not access or not secret:
        raise InvalidInput(
            "s3-endpoint",
            "set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY (or MINIO_ROOT_USER/MINIO_ROOT_PASSWORD)",
        )
    if not bucket:
        raise InvalidInput("s3-bucket", "is required with --s3-endpoint")
    return S3Settings(endpoint, bucket, access, secret, prefix, ca_file, insecure)
