"""Cross-account snapshot sharing for moto 5.2.5's RDS backend (rds-failsafe test emulator).

moto keeps one RDS backend per account (``rds_backends[account][region]``) and maps STS
AssumeRole credentials to the role's account, but it resolves a snapshot ARN inside the
*caller's* account: the account in the ARN is dropped. Snapshots shared from another account
therefore cannot be copied or described. Each patch below wraps one moto method, calls
straight through for the same-account case, and adds what the AWS documentation says
happens for a snapshot shared from another account (the pages are cited at the code).

1. ``RDSBackend.get_snapshot`` (behind CopyDBSnapshot, CopyDBClusterSnapshot and the
   restores): an ARN naming another account resolves in that account's backend, and only to
   a *manual* snapshot whose ``restore`` attribute holds the caller's account id or ``all``;
   anything else is ``DBSnapshotNotFoundFault`` / ``DBClusterSnapshotNotFoundFault``, which
   is what AWS answers for a snapshot that is not shared with you.
   moto: looked the name up in the caller's own account, so a same-named local snapshot was
   copied instead of the foreign one.
2. ``RDSBackend.copy_db_snapshot`` from a shared DB snapshot (moto: not found). An encrypted
   source needs ``KmsKeyId`` (``InvalidParameterValue``); ``KmsKeyId`` must name a key of the
   caller's account (``KMSKeyNotAccessibleFault``; stricter than AWS, which accepts another
   account's key whose policy allows it, but key policies are not emulated and the failsafe
   design wants its own key); a source encrypted with an AWS managed key
   (``aws/rds``, or moto's ``default_kms_key_id``) is ``KMSKeyNotAccessibleFault``, because
   no other account can use that key. ``KmsKeyId`` on an unencrypted source encrypts the
   copy. The copy is created in the caller's account, ``available``, ``manual``, keeping the
   source's DB instance id, engine and original creation time, and carries only the
   ``Tags`` given: ``CopyTags`` and moto's fallback to the source DB's tags are ignored
   across accounts (AWS does not document that tags cross accounts; handlers tag
   explicitly).
3. ``RDSBackend.copy_db_cluster_snapshot`` from a shared cluster snapshot: the same rules,
   and ``KmsKeyId`` with an *unencrypted* source is ``InvalidParameterValue`` -- for every
   cluster snapshot copy, same account included, as AWS documents (moto encrypted the
   copy).
4. ``DescribeDBSnapshots`` / ``DescribeDBClusterSnapshots`` (``RDSResponse``, because moto's
   response drops ``IncludeShared``/``IncludePublic``): an identifier that is another
   account's ARN returns that snapshot when shared with the caller (as in 1);
   ``SnapshotType=shared`` lists the manual snapshots of other accounts whose ``restore``
   holds the caller's id, and ``SnapshotType=public`` those holding ``all``, both honouring
   ``DBInstanceIdentifier`` / ``DBClusterIdentifier`` and ``Filters`` (moto ignored them and
   had no ``public``); ``IncludeShared`` / ``IncludePublic`` add those to the default
   listing (moto ignored both). Shared snapshots keep the owner's ARN.
5. ``RDSBackend._validate_kms_key``: a ``KmsKeyId`` alias that does not exist is
   ``KMSKeyNotAccessibleFault`` (moto: HTTP 500), for every caller.

6. Copy duration and copies in flight (off by default; set at run time with
   ``POST /moto-api/config {"rds_failsafe": {"copySeconds": S, "copyLimit": L}}``, cleared by
   ``/moto-api/reset``). A snapshot made by ``CopyDBSnapshot`` / ``CopyDBClusterSnapshot``
   reports ``creating`` until S seconds (wall clock) after the call, then ``available``
   (moto: ``available`` at once). A copy whose source is not ``available`` is
   ``InvalidDBSnapshotState`` / ``InvalidDBClusterSnapshotStateFault``. With L set, a copy
   started while L copies of the caller's account and region are ``creating`` is
   ``SnapshotQuotaExceeded`` -- the code RDS answers when too many copies are in progress
   ("Cannot copy more than 5 snapshots across regions", pbudzon/aws-maintenance#19); the RDS
   user guide puts the limit at 20 copies in progress per account and destination region.
7. Manual snapshot quota (``{"rds_failsafe": {"manualSnapshotQuota": Q}}``): creating or
   copying a DB snapshot (cluster snapshot) when the caller already holds Q *manual* ones of
   that kind is ``SnapshotQuotaExceeded`` "Cannot create more than Q manual snapshots"
   (AWS's message, pbudzon/aws-maintenance#12; the default quota is 100 per kind and
   region). Automated and shared snapshots do not count, as in AWS. moto's own check
   (``MOTO_RDS_SNAPSHOT_LIMIT``, fixed at start, default 1000, counting automated snapshots
   too) is switched off: at 1,000 databases it refused the intermediate copies.
   The "target exists" check comes first, as in moto (AWS does not document the order).

8. Resource ids (``DbiResourceId`` / ``DbClusterResourceId``), as AWS documents them: "an
   identifier for the DB instance that is unique to an AWS Region and never reused". moto
   gives every DB instance the same constant ``db-M5ENSHXFPU6XHZ4G4ZEI5QIO2U``; the extension
   gives each new instance (created or restored) a fresh ``db-`` + 26 characters, which its
   snapshots and their copies (same account or shared) keep, as RDS does. moto puts no
   ``DbClusterResourceId`` on cluster snapshots; the extension reports the cluster's, kept by
   copies.
9. Automated backups on demand (the emulator's clock for "RDS takes a daily backup"): moto makes
   exactly one automated snapshot, at creation. ``POST /_rds_failsafe/automated-snapshot`` with
   ``{"account", "region", "kind": "instance"|"cluster", "id", "time"}`` (ISO 8601) creates the
   automated snapshot RDS would take at that time, ``rds:<id>-YYYY-MM-DD-HH-MM``, with that
   ``SnapshotCreateTime`` (and ``OriginalSnapshotCreateTime``). The harness emits the
   RDS-EVENT-0091 / 0169 AWS would send for it.
10. RDS's clock for simulated time (``POST /moto-api/config {"rds_failsafe_clock":
   {"offsetSeconds": S}}``, cleared by reset): every creation time moto stamps on RDS resources
   is the wall clock plus S, so a test that moves the handlers' clock days ahead sees copies,
   snapshots and databases created "now" in that simulated time.

11. ``DescribeAccountAttributes`` (moto: not implemented): the account's RDS quotas as the API
   reference documents them (API_AccountQuota): ``ManualSnapshots`` / ``ManualClusterSnapshots``
   with ``Used`` = the caller's manual DB (cluster) snapshots in the region -- the count 7.
   checks -- and ``Max`` = the ``manualSnapshotQuota`` knob, else AWS's default of 100;
   ``DBInstances`` / ``DBClusters`` with their counts and AWS's default of 40.
12. KMS key state (moto checks that a key exists, never its state): ``CopyDBSnapshot`` /
   ``CopyDBClusterSnapshot`` whose target ``KmsKeyId`` or whose source snapshot's key is
   ``Disabled`` or ``PendingDeletion``, and ``RestoreDBInstanceFromDBSnapshot`` /
   ``RestoreDBClusterFromSnapshot`` from a snapshot under such a key (or with such a
   ``KmsKeyId``), are ``KMSKeyNotAccessibleFault`` "The ... KMS key [...] does not exist, is
   not enabled or you do not have permissions to access it." -- the fault the RDS API
   reference lists for these calls ("An error occurred accessing an AWS KMS key"), for a key
   that the KMS Developer Guide says "cannot be used in any cryptographic operation" while it
   is disabled or pending deletion (enabling-keys.html, key-state.html). Copies already in
   flight when the key changes state finish: their data keys were obtained when they started
   ("How unusable KMS keys affect data keys", unusable-kms-keys.html). The "target exists"
   answer still comes first.

13. ``SourceDBClusterSnapshotArn`` on a DB cluster snapshot made by ``CopyDBClusterSnapshot``:
   the ARN of the snapshot it was copied from (API_DBClusterSnapshot: "If the DB cluster
   snapshot was copied from a source DB cluster snapshot, the ARN for the source DB cluster
   snapshot, otherwise, a null value"), the owner's ARN for a shared source. moto reports none.

14. Restores from snapshots (the drills and the guided restore), as the RDS API reference
   documents them. ``RestoreDBInstanceFromDBSnapshot``: moto drops every parameter whose value
   is false or 0 (``if value:``), so ``BackupRetentionPeriod=0``, ``PubliclyAccessible=false``,
   ``DeletionProtection=false``, ``MultiAZ=false``, ``AutoMinorVersionUpgrade=false`` and
   ``CopyTagsToSnapshot=false`` silently became the source database's settings (a drill of a
   deletion-protected database could then not be deleted); they are applied as given, and an
   instance restored with no backups has no automated snapshot. ``RestoreDBClusterFromSnapshot``
   onto an identifier in use is ``DBClusterAlreadyExistsFault`` (moto replaced the cluster).
   ``CreateDBInstance`` into a restored cluster that is not ``available`` yet is
   ``InvalidDBClusterStateFault`` ("You can create DB instances only after the
   RestoreDBClusterFromSnapshot operation has completed and the DB cluster is available").
   ``DeleteDBCluster`` removes the cluster's automated snapshots unless
   ``DeleteAutomatedBackups=false`` (AWS's default; moto kept them). Restore duration (run-time
   knob ``restoreSeconds``, off by default): restored instances, restored clusters and instances
   created in a restored cluster report ``creating`` until S seconds (wall clock) after the call
   (moto: instances ``available`` at once, clusters ``creating`` for one read). RDS emits no
   events in moto: the harness delivers the ``RDS-EVENT-0043`` / ``0170`` / ``0005`` AWS sends.

15. Lambda's account quota: in ``account_limits.py``.

16. Cross-region copies inside one account (``CopyDBSnapshot`` / ``CopyDBClusterSnapshot`` called
   in one region with the ARN of a snapshot of the caller's account in another region: the DR
   region's copy). moto found the source and copied it, but kept the *source region's* key on an
   encrypted copy made without ``KmsKeyId``, reported no ``SourceRegion`` /
   ``SourceDBSnapshotIdentifier`` / ``SourceDBClusterSnapshotArn`` and ignored ``PreSignedUrl``.
   As AWS documents it (API_CopyDBSnapshot, API_CopyDBClusterSnapshot, USER_CopySnapshot): the
   source must be in the same partition, and never in or to a China region
   (``InvalidParameterValue``); an encrypted source needs ``KmsKeyId`` of the destination region
   (``InvalidParameterValue`` "Must specify new KMS key for cross region encrypted snapshot
   copy."; a key of another region stays moto's ``KMSKeyNotAccessibleFault``). In the GovCloud
   (US) regions an encrypted source needs ``PreSignedUrl``, a SigV4 query-string request for the
   same operation in the source region with ``SourceDB(Cluster)SnapshotIdentifier`` = the source
   ARN, ``DestinationRegion`` = the called region and the same ``KmsKeyId``, credential scope
   ``<source region>/rds``, not expired; anything else is ``InvalidParameterValue`` "PreSignedUrl
   could not be authenticated." (the signature itself is not verified: moto verifies none). Other
   partitions ignore ``PreSignedUrl``, as AWS does. The copy reports ``SourceRegion`` and the
   source ARN.

17. ``DescribeDBSnapshots`` / ``DescribeDBClusterSnapshots`` in pages: at most ``MaxRecords``
   (default 100; 20 to 100, else ``InvalidParameterValue``) per answer, with a ``Marker`` for the
   next page, as the API reference documents and moto already does for ``DescribeDBInstances``.
   moto answered every snapshot in one page, so a sweep's listing cost (pages of 100) was not
   measured.

The fault codes for 2 and 3 are not documented; ``InvalidParameterValue`` is what RDS
returns for the analogous cross-Region case. Not emulated: key policies and grants,
cross-Region copies of snapshots shared from another account (one step across both), snapshot
states other than ``creating`` and ``available``.
"""

from __future__ import annotations

import base64
import random
import string
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

from moto.core.responses import ActionResult
from moto.kms.models import kms_backends
from moto.moto_api._internal.models import MotoAPIBackend
import moto.rds.models as rds_models
from moto.rds.exceptions import (
    DBClusterSnapshotAlreadyExistsError,
    DBClusterSnapshotNotFoundError,
    DBSnapshotAlreadyExistsError,
    DBSnapshotNotFoundFault,
    InvalidParameterValue,
    KMSKeyNotAccessibleFault,
    RDSClientError,
)
from moto.rds.models import (
    DBCluster,
    DBClusterSnapshot,
    DBInstance,
    DBSnapshot,
    RDSBackend,
    rds_backends,
)
from moto.rds.responses import RDSResponse
from moto.rds.utils import merge_filters, split_arn

Snapshot = Any  # DBSnapshot | DBClusterSnapshot; moto's own annotations are loose here.

# resource type in the ARN, not-found fault, filter naming the parent database
_KIND = {
    DBSnapshot: ("snapshot", DBSnapshotNotFoundFault, "db-instance-id"),
    DBClusterSnapshot: ("cluster-snapshot", DBClusterSnapshotNotFoundError, "db-cluster-id"),
}


def _foreign_arn(caller: RDSBackend, identifier: str | None) -> bool:
    if not identifier or not identifier.startswith("arn:"):
        return False
    try:
        _, account, _, _ = split_arn(identifier)
    except ValueError:
        return False
    return account != caller.account_id


def _shared_with(snapshot: Snapshot, values: tuple[str, ...]) -> bool:
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html
    # Only manual snapshots can be shared; "all" makes a snapshot public.
    restore = snapshot.attributes.get("restore", [])
    return snapshot.snapshot_type == "manual" and any(v in restore for v in values)


def _visible_to(snapshot: Snapshot, account_id: str) -> bool:
    return _shared_with(snapshot, (account_id, "all"))


def _aws_managed_key(key_id: str | None, region: str, account_id: str) -> bool:
    # https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/share-encrypted-snapshot.html
    # "You can't share a snapshot that has been encrypted using the default AWS KMS key";
    # the copy in the other account is where it fails (KMSKeyNotAccessibleFault).
    if key_id == "default_kms_key_id":
        return True
    if not key_id:
        return False
    if key_id.startswith("arn:"):
        region, account_id = key_id.split(":")[3:5]
    try:
        key = kms_backends[account_id][region].describe_key(key_id)
    except Exception:  # an unknown key is not *managed*; its own check reports it
        return False
    return any(alias.startswith("alias/aws/") for alias in key.aliases)


def _check_shared_source_key(caller: RDSBackend, source: Snapshot, kms_key_id: str | None) -> None:
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBClusterSnapshot.html
    # "If you copy an encrypted [DB cluster] snapshot that is shared from another AWS account,
    # then you must specify a value for KmsKeyId." The fault code is not documented;
    # InvalidParameterValue is what RDS returns for the analogous cross-Region case
    # ("Must specify new KMS key for cross region encrypted snapshot copy.").
    if kms_key_id and kms_key_id.startswith("arn:"):
        # Key policies are not emulated, so a key of another account (prod's transit key,
        # say) would always pass; the failsafe copy must use a key of its own account.
        if kms_key_id.split(":")[4] != caller.account_id:
            raise KMSKeyNotAccessibleFault(kms_key_id)
    if not source.encrypted:
        return
    if not kms_key_id:
        raise InvalidParameterValue(
            "KmsKeyId must be specified to copy an encrypted snapshot shared from another "
            "AWS account."
        )
    if _aws_managed_key(source.kms_key_id, source.region, source.account_id):
        raise RDSClientError(
            "KMSKeyNotAccessibleFault",
            f"The source snapshot KMS key [{source.kms_key_id}] does not exist, is not "
            "enabled or you do not have permissions to access it.",
        )


def _shared_snapshots(caller: RDSBackend, resource_type: type, values: tuple[str, ...]) -> list:
    found = []
    for account_id, regions in list(rds_backends.items()):
        owner = regions.get(caller.region_name) if account_id != caller.account_id else None
        if owner is None:
            continue
        for snapshot in owner.resource_map[resource_type].values():
            if _shared_with(snapshot, values):
                found.append(snapshot)
    return found


def _filtered(caller: RDSBackend, snapshots: list, resource_type: type, parent_id, filters):
    parent_filter = _KIND[resource_type][2]
    if parent_id:
        filters = merge_filters(filters, {parent_filter: [parent_id]})
    if not filters:
        return snapshots
    by_arn = {s.arn: s for s in snapshots}
    return list(caller._filter_resources(by_arn, filters, resource_type).values())


def _describe(response: RDSResponse, resource_type: type, parent_param: str, id_param: str) -> list:
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBClusterSnapshots.html
    backend = response.backend
    params = response.params
    parent_id = params.get(parent_param)
    snapshot_id = params.get(id_param)
    snapshot_type = params.get("SnapshotType")
    filters = {f["Name"]: f["Values"] for f in params.get("Filters", [])}
    _, not_found, _ = _KIND[resource_type]

    if _foreign_arn(backend, snapshot_id):
        return [backend.get_snapshot(snapshot_id, resource_type, not_found)]
    audience = {"shared": (backend.account_id,), "public": ("all",)}
    if snapshot_type in audience:
        found = _shared_snapshots(backend, resource_type, audience[snapshot_type])
        return _filtered(backend, found, resource_type, parent_id, filters)

    describe = (
        backend.describe_db_snapshots
        if resource_type is DBSnapshot
        else backend.describe_db_cluster_snapshots
    )
    result = list(describe(parent_id, snapshot_id, snapshot_type, filters))
    if snapshot_type is None and not snapshot_id:
        for flag, kind in (("IncludeShared", "shared"), ("IncludePublic", "public")):
            if params.get(flag):
                found = _shared_snapshots(backend, resource_type, audience[kind])
                result += _filtered(backend, found, resource_type, parent_id, filters)
    return result


# 6. and 7.: run-time knobs, set through /moto-api/config and cleared by /moto-api/reset.
_LIMITS: dict[str, float] = {}
_KNOBS = ("copySeconds", "copyLimit", "manualSnapshotQuota", "restoreSeconds")
# 10.: kept apart from the limits, so moving the clock leaves them as they are.
_CLOCK: dict[str, float] = {"offsetSeconds": 0.0}


def _apply_limits() -> None:
    orig_set_config = MotoAPIBackend.set_config
    orig_get_config = MotoAPIBackend.get_config
    orig_reset = MotoAPIBackend.reset

    def set_config(self, config):
        knobs = config.get("rds_failsafe")
        if isinstance(knobs, dict):
            _LIMITS.clear()
            _LIMITS.update({k: float(knobs[k]) for k in _KNOBS if knobs.get(k) is not None})
        clock = config.get("rds_failsafe_clock")
        if isinstance(clock, dict):
            _CLOCK["offsetSeconds"] = float(clock.get("offsetSeconds") or 0)
        return orig_set_config(self, config)

    def get_config(self):
        return {
            **orig_get_config(self),
            "rds_failsafe": dict(_LIMITS),
            "rds_failsafe_clock": dict(_CLOCK),
        }

    def reset(self):
        _LIMITS.clear()
        _CLOCK["offsetSeconds"] = 0.0
        return orig_reset(self)

    MotoAPIBackend.set_config = set_config
    MotoAPIBackend.get_config = get_config
    MotoAPIBackend.reset = reset

    # 10. RDS's clock, shifted (simulated days): every creation time moto stamps on an RDS
    # resource (snapshots, copies, databases) is "now" plus the clock offset.
    real_utcnow = rds_models.utcnow

    def shifted_utcnow():
        return real_utcnow() + timedelta(seconds=_CLOCK["offsetSeconds"])

    rds_models.utcnow = shifted_utcnow

    # A copy reports "creating" until its ready time (wall clock).
    def status_get(self):
        ready = self.__dict__.get("_rf_ready_at")
        if ready is not None and time.monotonic() < ready:
            return "creating"
        return self.__dict__.get("_rf_status", "available")

    def status_set(self, value):
        self.__dict__["_rf_status"] = value

    DBSnapshot.status = property(status_get, status_set)
    DBClusterSnapshot.status = property(status_get, status_set)
    # moto's own quota counts automated snapshots too and is fixed at start: 7. replaces it.
    RDSBackend.SNAPSHOT_QUOTA = property(lambda self: 10**9)

    def in_flight(backend: RDSBackend) -> int:
        return sum(
            1
            for store in (backend.database_snapshots, backend.cluster_snapshots)
            for s in list(store.values())
            if s.status == "creating"
        )

    def check_quota(store: dict, target_id: str) -> None:
        quota = _LIMITS.get("manualSnapshotQuota")
        if quota is None or target_id in store:
            return
        manual = sum(1 for s in list(store.values()) if s.snapshot_type == "manual")
        if manual >= quota:
            raise RDSClientError(
                "SnapshotQuotaExceeded", f"Cannot create more than {int(quota)} manual snapshots"
            )

    def check_copy(backend: RDSBackend, source: Snapshot, state_fault: str, store, target_id):
        if target_id in store:
            return  # moto's AlreadyExists answer comes first
        if source is not None and source.status != "available":
            raise RDSClientError(state_fault, f"Snapshot {source.arn} is {source.status}.")
        check_quota(store, target_id)
        limit = _LIMITS.get("copyLimit")
        if limit is not None and in_flight(backend) >= limit:
            raise RDSClientError(
                "SnapshotQuotaExceeded",
                f"Cannot copy more than {int(limit)} snapshots at the same time",
            )

    def started(copy):
        seconds = _LIMITS.get("copySeconds")
        if seconds:
            copy.__dict__["_rf_ready_at"] = time.monotonic() + seconds
        return copy

    def source_or_none(lookup, identifier):
        try:
            return lookup(identifier)
        except RDSClientError:
            return None  # the wrapped call raises moto's own NotFound

    copy_db_snapshot = RDSBackend.copy_db_snapshot
    copy_db_cluster_snapshot = RDSBackend.copy_db_cluster_snapshot
    create_db_snapshot = RDSBackend.create_db_snapshot
    create_db_cluster_snapshot = RDSBackend.create_db_cluster_snapshot

    def arg(args, kwargs, index, name, default=None):
        # moto's responses pass keyword arguments; its own internal calls positional ones.
        return kwargs[name] if name in kwargs else (args[index] if len(args) > index else default)

    def limited_copy_db_snapshot(self, *args, **kwargs):
        source_id = arg(args, kwargs, 0, "source_db_snapshot_identifier")
        target_id = arg(args, kwargs, 1, "target_db_snapshot_identifier")
        source = source_or_none(self.get_db_snapshot, source_id)
        check_copy(self, source, "InvalidDBSnapshotState", self.database_snapshots, target_id)
        return started(copy_db_snapshot(self, *args, **kwargs))

    def limited_copy_db_cluster_snapshot(self, *args, **kwargs):
        source_id = arg(args, kwargs, 0, "source_db_cluster_snapshot_identifier")
        target_id = arg(args, kwargs, 1, "target_db_cluster_snapshot_identifier")
        source = source_or_none(self.get_db_cluster_snapshot, source_id)
        fault = "InvalidDBClusterSnapshotStateFault"
        check_copy(self, source, fault, self.cluster_snapshots, target_id)
        return started(copy_db_cluster_snapshot(self, *args, **kwargs))

    def limited_create_db_snapshot(self, *args, **kwargs):
        if arg(args, kwargs, 2, "snapshot_type", "manual") == "manual":
            check_quota(self.database_snapshots, arg(args, kwargs, 1, "db_snapshot_identifier"))
        return create_db_snapshot(self, *args, **kwargs)

    def limited_create_db_cluster_snapshot(self, *args, **kwargs):
        if arg(args, kwargs, 2, "snapshot_type", "manual") == "manual":
            snapshot_id = arg(args, kwargs, 1, "db_cluster_snapshot_identifier")
            check_quota(self.cluster_snapshots, snapshot_id)
        return create_db_cluster_snapshot(self, *args, **kwargs)

    RDSBackend.copy_db_snapshot = limited_copy_db_snapshot
    RDSBackend.copy_db_cluster_snapshot = limited_copy_db_cluster_snapshot
    RDSBackend.create_db_snapshot = limited_create_db_snapshot
    RDSBackend.create_db_cluster_snapshot = limited_create_db_cluster_snapshot


# 16. cross-region copies inside one account
_COPY_OPERATIONS = {
    DBSnapshot: ("CopyDBSnapshot", "SourceDBSnapshotIdentifier", "source_db_snapshot_identifier"),
    DBClusterSnapshot: (
        "CopyDBClusterSnapshot",
        "SourceDBClusterSnapshotIdentifier",
        "source_db_cluster_snapshot_arn",
    ),
}


def _presigned_url_problem(
    url: str, operation: str, source_param: str, source_arn: str, source_region: str,
    destination: str, kms_key_id: str | None,
) -> str | None:
    """Why ``url`` is not the pre-signed request AWS asks for, or None (API_CopyDBSnapshot)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    expected = {
        "Action": operation,
        source_param: source_arn,
        "DestinationRegion": destination,
        "KmsKeyId": kms_key_id or "",
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
    }
    for key, value in expected.items():
        if query.get(key, "") != value:
            return f"{key} is {query.get(key)!r}, expected {value!r}"
    if parts.hostname is None or not parts.hostname.startswith(f"rds.{source_region}."):
        return f"host {parts.hostname!r} is not RDS in {source_region}"
    scope = query.get("X-Amz-Credential", "").split("/")
    if len(scope) != 5 or scope[2] != source_region or scope[3] != "rds":
        return f"credential scope {'/'.join(scope[1:])!r} is not {source_region}/rds"
    if len(query.get("X-Amz-Signature", "")) != 64:
        return "no X-Amz-Signature"
    try:
        signed = datetime.strptime(query.get("X-Amz-Date", ""), "%Y%m%dT%H%M%SZ")
        expires = int(query.get("X-Amz-Expires", ""))
    except ValueError:
        return "no valid X-Amz-Date / X-Amz-Expires"
    # The URL is signed with the real clock (not the RDS clock of 10.).
    if datetime.now(timezone.utc).replace(tzinfo=None) > signed + timedelta(seconds=expires):
        return "expired"
    return None


def _apply_cross_region() -> None:
    copy_db_snapshot = RDSBackend.copy_db_snapshot
    copy_db_cluster_snapshot = RDSBackend.copy_db_cluster_snapshot

    def source_region_of(backend: RDSBackend, identifier: str | None) -> str | None:
        if not identifier or not identifier.startswith("arn:"):
            return None
        parts = identifier.split(":")
        if len(parts) < 7 or parts[4] != backend.account_id or parts[3] == backend.region_name:
            return None
        return parts[3]

    def check(backend, resource_type, store, source_id, target_id, kms_key_id, presigned):
        """16. The source region of a cross-region copy, after AWS's checks; None otherwise."""
        source_region = source_region_of(backend, source_id)
        if source_region is None or target_id in store:
            return None  # same region, or moto's AlreadyExists answer first
        operation, source_param, _ = _COPY_OPERATIONS[resource_type]
        source_partition = source_id.split(":")[1]
        if source_partition != backend.partition:
            raise InvalidParameterValue(
                f"The source snapshot {source_id} is in partition {source_partition}, not "
                f"{backend.partition}: snapshots are copied only within a partition."
            )
        if backend.partition == "aws-cn":
            raise InvalidParameterValue(
                "Snapshots cannot be copied to or from the China Regions (USER_CopySnapshot)."
            )
        _, not_found, _ = _KIND[resource_type]
        source = backend.get_snapshot(source_id, resource_type, not_found)
        if source.encrypted and not kms_key_id:
            raise InvalidParameterValue(
                "Must specify new KMS key for cross region encrypted snapshot copy."
            )
        if backend.partition == "aws-us-gov" and source.encrypted:
            problem = (
                "PreSignedUrl is missing"
                if not presigned
                else _presigned_url_problem(
                    presigned, operation, source_param, source_id, source_region,
                    backend.region_name, kms_key_id,
                )
            )
            if problem:
                raise InvalidParameterValue(f"PreSignedUrl could not be authenticated. ({problem})")
        return source_region

    def record(copy, source_region, source_id, resource_type):
        copy.source_region = source_region
        setattr(copy, _COPY_OPERATIONS[resource_type][2], source_id)
        return copy

    def arg(args, kwargs, index, name):
        return kwargs[name] if name in kwargs else (args[index] if len(args) > index else None)

    def cross_region_copy_db_snapshot(self, *args, **kwargs):
        source_id = arg(args, kwargs, 0, "source_db_snapshot_identifier")
        target_id = arg(args, kwargs, 1, "target_db_snapshot_identifier")
        kms_key_id = arg(args, kwargs, 2, "kms_key_id")
        region = check(
            self, DBSnapshot, self.database_snapshots, source_id, target_id, kms_key_id,
            kwargs.get("pre_signed_url"),
        )
        copy = copy_db_snapshot(self, *args, **kwargs)
        return record(copy, region, source_id, DBSnapshot) if region else copy

    def cross_region_copy_db_cluster_snapshot(self, *args, **kwargs):
        source_id = arg(args, kwargs, 0, "source_db_cluster_snapshot_identifier")
        target_id = arg(args, kwargs, 1, "target_db_cluster_snapshot_identifier")
        kms_key_id = arg(args, kwargs, 2, "kms_key_id")
        region = check(
            self, DBClusterSnapshot, self.cluster_snapshots, source_id, target_id, kms_key_id,
            kwargs.get("pre_signed_url"),
        )
        copy = copy_db_cluster_snapshot(self, *args, **kwargs)
        return record(copy, region, source_id, DBClusterSnapshot) if region else copy

    RDSBackend.copy_db_snapshot = cross_region_copy_db_snapshot
    RDSBackend.copy_db_cluster_snapshot = cross_region_copy_db_cluster_snapshot


def _page(found: list, params: dict) -> tuple[list, str | None]:
    """17. One page of a listing and the Marker of the next, if any.

    https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeDBSnapshots.html
    MaxRecords: "Default: 100. Constraints: Minimum 20, maximum 100." (the same for
    DescribeDBClusterSnapshots). Pages keep moto's order (creation order); the Marker is opaque
    (here: the position and ARN of the last snapshot answered), and a page goes on after that
    snapshot, or at that position if it was deleted meanwhile.
    """
    value = params.get("MaxRecords")
    limit = 100 if value is None else int(value)
    if not 20 <= limit <= 100:
        raise InvalidParameterValue(f"MaxRecords must be between 20 and 100, not {value}.")
    start = 0
    marker = params.get("Marker")
    if marker:
        position, _, last = base64.urlsafe_b64decode(marker.encode()).decode().partition("|")
        arns = [s.arn for s in found]
        start = arns.index(last) + 1 if last in arns else int(position)
    page = found[start : start + limit]
    if start + limit >= len(found):
        return page, None
    token = f"{start + limit - 1}|{page[-1].arn}"
    return page, base64.urlsafe_b64encode(token.encode()).decode()


def _random_suffix() -> str:
    return "".join(random.choice(string.ascii_uppercase + string.digits) for _ in range(26))


def _apply_resource_ids() -> None:
    # 8. https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DBInstance.html
    # (DbiResourceId: "unique to an AWS Region and never reused");
    # API_DBClusterSnapshot.html lists DbClusterResourceId on cluster snapshots.
    orig_instance_init = DBInstance.__init__
    orig_cluster_snapshot_init = DBClusterSnapshot.__init__

    def instance_init(self, *args, **kwargs):
        orig_instance_init(self, *args, **kwargs)
        self.dbi_resource_id = f"db-{_random_suffix()}"

    def cluster_snapshot_init(self, backend, cluster, *args, **kwargs):
        orig_cluster_snapshot_init(self, backend, cluster, *args, **kwargs)
        self.db_cluster_resource_id = getattr(cluster, "db_cluster_resource_id", None)

    DBInstance.__init__ = instance_init
    DBClusterSnapshot.__init__ = cluster_snapshot_init


# 14.
_RESTORE_FLAGS = (
    "backup_retention_period",
    "publicly_accessible",
    "deletion_protection",
    "multi_az",
    "auto_minor_version_upgrade",
    "copy_tags_to_snapshot",
)


def _restore_started(resource) -> None:
    resource.__dict__["_rf_restored"] = True
    seconds = _LIMITS.get("restoreSeconds")
    if seconds:
        resource.__dict__["_rf_ready_at"] = time.monotonic() + seconds


def _apply_restores() -> None:
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBInstanceFromDBSnapshot.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_RestoreDBClusterFromSnapshot.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DeleteDBCluster.html
    orig_restore_instance = RDSBackend.restore_db_instance_from_db_snapshot
    orig_restore_cluster = RDSBackend.restore_db_cluster_from_snapshot
    orig_create_instance = RDSBackend.create_db_instance
    orig_delete_cluster_response = RDSResponse.delete_db_cluster

    def restore_instance(self, from_snapshot_id, overrides):
        db = orig_restore_instance(self, from_snapshot_id, overrides)
        for key in _RESTORE_FLAGS:
            value = overrides.get(key)
            if value is not None and not value:
                setattr(db, key, value)
        if db.backup_retention_period == 0:
            for snapshot_id, snapshot in list(self.database_snapshots.items()):
                if (
                    snapshot.snapshot_type == "automated"
                    and snapshot.db_instance_identifier == db.db_instance_identifier
                ):
                    del self.database_snapshots[snapshot_id]
        _restore_started(db)
        return db

    def restore_cluster(self, from_snapshot_id, overrides):
        cluster_id = overrides.get("db_cluster_identifier")
        if cluster_id in self.clusters:
            raise RDSClientError("DBClusterAlreadyExistsFault", "DB Cluster already exists")
        cluster = orig_restore_cluster(self, from_snapshot_id, overrides)
        for key in ("deletion_protection", "copy_tags_to_snapshot"):
            value = overrides.get(key)
            if value is not None and not value:
                setattr(cluster, key, value)
        _restore_started(cluster)
        return cluster

    def create_instance(self, db_kwargs):
        cluster = self.clusters.get(db_kwargs.get("db_cluster_identifier") or "")
        restored = cluster is not None and cluster.__dict__.get("_rf_restored")
        if restored:
            ready = cluster.__dict__.get("_rf_ready_at")
            if (ready is not None and time.monotonic() < ready) or cluster._status == "creating":
                raise RDSClientError(
                    "InvalidDBClusterStateFault",
                    f"DB cluster {cluster.db_cluster_identifier} is not available.",
                )
        db = orig_create_instance(self, db_kwargs)
        if restored:
            _restore_started(db)
        return db

    def delete_cluster_response(self):
        cluster_id = self.params.get("DBClusterIdentifier")
        keep = self.params.get("DeleteAutomatedBackups") is False
        result = orig_delete_cluster_response(self)
        if not keep:
            for snapshot_id, snapshot in list(self.backend.cluster_snapshots.items()):
                if (
                    snapshot.snapshot_type == "automated"
                    and snapshot.db_cluster_identifier == cluster_id
                ):
                    del self.backend.cluster_snapshots[snapshot_id]
        return result

    def instance_status_get(self):
        ready = self.__dict__.get("_rf_ready_at")
        if ready is not None and time.monotonic() < ready:
            return "creating"
        return self.__dict__.get("_rf_status", "available")

    def instance_status_set(self, value):
        self.__dict__["_rf_status"] = value

    cluster_status = DBCluster.status

    def cluster_status_get(self):
        ready = self.__dict__.get("_rf_ready_at")
        if ready is not None:
            if time.monotonic() < ready:
                return "creating"
            if self._status == "creating":
                self._status = "available"
        return cluster_status.fget(self)

    RDSBackend.restore_db_instance_from_db_snapshot = restore_instance
    RDSBackend.restore_db_cluster_from_snapshot = restore_cluster
    RDSBackend.create_db_instance = create_instance
    RDSResponse.delete_db_cluster = delete_cluster_response
    DBInstance.status = property(instance_status_get, instance_status_set)
    DBCluster.status = property(cluster_status_get, cluster_status.fset)


def create_automated_snapshot(params: dict) -> dict:
    """9. The automated snapshot RDS takes in a backup window, at the given time."""
    account, region = str(params["account"]), str(params["region"])
    kind, db_id = str(params["kind"]), str(params["id"])
    when = datetime.fromisoformat(str(params["time"]).replace("Z", "+00:00"))
    # moto keeps naive UTC datetimes (moto.core.utils.utcnow).
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    backend = rds_backends[account][region]
    # RDS names automated snapshots rds:<db>-YYYY-MM-DD-HH-MM (UTC).
    snapshot_id = f"rds:{db_id}-{when.strftime('%Y-%m-%d-%H-%M')}"
    if kind == "instance":
        snapshot = backend.create_auto_snapshot(db_id, snapshot_id)
        snapshot.original_snapshot_create_time = when
    elif kind == "cluster":
        snapshot = backend.create_auto_cluster_snapshot(db_id, snapshot_id)
    else:
        raise ValueError(f"kind must be instance or cluster, not {kind!r}")
    snapshot.created = when
    return {"snapshotId": snapshot_id, "arn": snapshot.arn}


def _call_arg(args, kwargs, index, name, default=None):
    # moto's responses pass keyword arguments; its own internal calls positional ones.
    return kwargs[name] if name in kwargs else (args[index] if len(args) > index else default)


def _unusable_key_state(key_id: str | None, region: str, account_id: str) -> str | None:
    """12. The state of a KMS key that cannot be used now (``Disabled``, ``PendingDeletion``,
    ...), or None when it is ``Enabled``, unknown (its own check reports that) or moto's stand-in
    for the AWS managed key."""
    if not key_id or key_id == "default_kms_key_id":
        return None
    if key_id.startswith("arn:"):
        region, account_id = key_id.split(":")[3:5]
    try:
        key = kms_backends[account_id][region].describe_key(key_id)
    except Exception:
        return None
    return None if key.key_state == "Enabled" else key.key_state


def _check_key_usable(key_id: str | None, region: str, account_id: str, role: str) -> None:
    # https://docs.aws.amazon.com/kms/latest/developerguide/key-state.html
    # https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_CopyDBSnapshot.html (Errors)
    state = _unusable_key_state(key_id, region, account_id)
    if state is not None:
        raise RDSClientError(
            "KMSKeyNotAccessibleFault",
            f"The {role} KMS key [{key_id}] does not exist, is not enabled or you do not have "
            f"permissions to access it. (key state: {state})",
        )


def _apply_key_states() -> None:
    """12. Copies and restores refuse a source or target key that is disabled or pending
    deletion. Installed last, so it wraps every other patch (the checks run first)."""
    copy_db_snapshot = RDSBackend.copy_db_snapshot
    copy_db_cluster_snapshot = RDSBackend.copy_db_cluster_snapshot
    restore_instance = RDSBackend.restore_db_instance_from_db_snapshot
    restore_cluster = RDSBackend.restore_db_cluster_from_snapshot

    def source_or_none(lookup, identifier):
        try:
            return lookup(identifier)
        except RDSClientError:
            return None  # the wrapped call raises its own NotFound

    def check_copy(self, source, target_kms_key_id) -> None:
        if source is not None and source.encrypted:
            _check_key_usable(source.kms_key_id, source.region, source.account_id, "source snapshot")
        _check_key_usable(target_kms_key_id, self.region_name, self.account_id, "target")

    def checked_copy_db_snapshot(self, *args, **kwargs):
        target_id = _call_arg(args, kwargs, 1, "target_db_snapshot_identifier")
        if target_id not in self.database_snapshots:
            source_id = _call_arg(args, kwargs, 0, "source_db_snapshot_identifier")
            source = source_or_none(self.get_db_snapshot, source_id)
            check_copy(self, source, _call_arg(args, kwargs, 2, "kms_key_id"))
        return copy_db_snapshot(self, *args, **kwargs)

    def checked_copy_db_cluster_snapshot(self, *args, **kwargs):
        target_id = _call_arg(args, kwargs, 1, "target_db_cluster_snapshot_identifier")
        if target_id not in self.cluster_snapshots:
            source_id = _call_arg(args, kwargs, 0, "source_db_cluster_snapshot_identifier")
            source = source_or_none(self.get_db_cluster_snapshot, source_id)
            check_copy(self, source, _call_arg(args, kwargs, 2, "kms_key_id"))
        return copy_db_cluster_snapshot(self, *args, **kwargs)

    def checked_restore(lookup, restore):
        def wrapped(self, from_snapshot_id, overrides):
            source = source_or_none(lambda i: lookup(self, i), from_snapshot_id)
            check_copy(self, source, (overrides or {}).get("kms_key_id"))
            return restore(self, from_snapshot_id, overrides)

        return wrapped

    RDSBackend.copy_db_snapshot = checked_copy_db_snapshot
    RDSBackend.copy_db_cluster_snapshot = checked_copy_db_cluster_snapshot
    RDSBackend.restore_db_instance_from_db_snapshot = checked_restore(
        RDSBackend.get_db_snapshot, restore_instance
    )
    RDSBackend.restore_db_cluster_from_snapshot = checked_restore(
        RDSBackend.get_db_cluster_snapshot, restore_cluster
    )


def _apply_source_arns() -> None:
    """13. A copied cluster snapshot names its source (SourceDBClusterSnapshotArn)."""
    copy_db_cluster_snapshot = RDSBackend.copy_db_cluster_snapshot

    def copy_with_source(self, *args, **kwargs):
        source_id = _call_arg(args, kwargs, 0, "source_db_cluster_snapshot_identifier")
        try:
            source_arn = self.get_db_cluster_snapshot(source_id).arn
        except RDSClientError:
            source_arn = None  # the wrapped call raises its own NotFound
        copy = copy_db_cluster_snapshot(self, *args, **kwargs)
        copy.source_db_cluster_snapshot_arn = source_arn
        return copy

    RDSBackend.copy_db_cluster_snapshot = copy_with_source


def apply() -> None:
    """Install the patches once; moto's own methods stay reachable through the closures."""
    if getattr(RDSBackend, "_rds_failsafe_patched", False):
        return
    RDSBackend._rds_failsafe_patched = True

    orig_get_snapshot = RDSBackend.get_snapshot
    orig_copy_db_snapshot = RDSBackend.copy_db_snapshot
    orig_copy_db_cluster_snapshot = RDSBackend.copy_db_cluster_snapshot
    orig_validate_kms_key = RDSBackend._validate_kms_key

    # 1.
    def get_snapshot(self, identifier, resource_type, not_found_exception):
        if not _foreign_arn(self, identifier):
            return orig_get_snapshot(self, identifier, resource_type, not_found_exception)
        type_name, _, _ = _KIND[resource_type]
        region, account_id, arn_type, name = split_arn(identifier)
        if region == self.region_name and arn_type == type_name:
            owner = self.get_backend("rds", region, account_id)
            snapshot = owner.resource_map[resource_type].get(name)
            if snapshot is not None and _visible_to(snapshot, self.account_id):
                return snapshot
        raise not_found_exception(identifier)

    # 2.
    def copy_db_snapshot(
        self,
        source_db_snapshot_identifier,
        target_db_snapshot_identifier,
        kms_key_id=None,
        tags=None,
        copy_tags=False,
        **kwargs,
    ):
        source_id, target_id = source_db_snapshot_identifier, target_db_snapshot_identifier
        if not _foreign_arn(self, source_id):
            return orig_copy_db_snapshot(
                self, source_id, target_id, kms_key_id, tags, copy_tags, **kwargs
            )
        if target_id in self.database_snapshots:  # moto's order: target before source
            raise DBSnapshotAlreadyExistsError(target_id)
        _check_shared_source_key(self, self.get_db_snapshot(source_id), kms_key_id)
        copy = orig_copy_db_snapshot(self, source_id, target_id, kms_key_id, tags, False, **kwargs)
        # moto's DBSnapshot falls back to the *source DB's* tags when none are given.
        copy.tags = tags or []
        return copy

    # 3.
    def copy_db_cluster_snapshot(
        self,
        source_db_cluster_snapshot_identifier,
        target_db_cluster_snapshot_identifier,
        kms_key_id=None,
        copy_tags=False,
        tags=None,
        **kwargs,
    ):
        source_id = source_db_cluster_snapshot_identifier
        target_id = target_db_cluster_snapshot_identifier
        foreign = _foreign_arn(self, source_id)
        if foreign or kms_key_id:
            if target_id in self.cluster_snapshots:
                raise DBClusterSnapshotAlreadyExistsError(target_id)
            source = self.get_db_cluster_snapshot(source_id)
            # API_CopyDBClusterSnapshot: "If you copy an unencrypted DB cluster snapshot and
            # specify a value for the KmsKeyId parameter, an error is returned."
            if kms_key_id and not source.encrypted:
                raise InvalidParameterValue(
                    "KmsKeyId can't be specified for an unencrypted DB cluster snapshot."
                )
            if foreign:
                _check_shared_source_key(self, source, kms_key_id)
        copy = orig_copy_db_cluster_snapshot(
            self, source_id, target_id, kms_key_id, copy_tags and not foreign, tags, **kwargs
        )
        if foreign:
            # moto's DBClusterSnapshot falls back to the source cluster's tags.
            copy.tags = tags or []
        return copy

    # 5.
    def _validate_kms_key(self, kms_key_id):
        try:
            return orig_validate_kms_key(self, kms_key_id)
        except (AttributeError, TypeError):  # moto's alias lookup returned None
            raise KMSKeyNotAccessibleFault(kms_key_id) from None

    # 4. (and 17.: in pages, as DescribeDBInstances already is in moto)
    def describe_db_snapshots(self):
        found = _describe(self, DBSnapshot, "DBInstanceIdentifier", "DBSnapshotIdentifier")
        page, marker = _page(found, self.params)
        return ActionResult({"DBSnapshots": page, **({"Marker": marker} if marker else {})})

    def describe_db_cluster_snapshots(self):
        found = _describe(
            self, DBClusterSnapshot, "DBClusterIdentifier", "DBClusterSnapshotIdentifier"
        )
        page, marker = _page(found, self.params)
        return ActionResult({"DBClusterSnapshots": page, **({"Marker": marker} if marker else {})})

    RDSBackend.get_snapshot = get_snapshot
    RDSBackend.copy_db_snapshot = copy_db_snapshot
    RDSBackend.copy_db_cluster_snapshot = copy_db_cluster_snapshot
    RDSBackend._validate_kms_key = _validate_kms_key
    RDSResponse.describe_db_snapshots = describe_db_snapshots
    RDSResponse.describe_db_cluster_snapshots = describe_db_cluster_snapshots
    _apply_limits()
    _apply_resource_ids()
    _apply_restores()
    _apply_cross_region()
    _apply_account_attributes()
    _apply_source_arns()
    _apply_key_states()


# 11. https://docs.aws.amazon.com/AmazonRDS/latest/APIReference/API_DescribeAccountAttributes.html
# and API_AccountQuota.html: "ManualSnapshots - The number of manual DB instance snapshots per
# account. The used value is the count of the manual DB instance snapshots in the account."
# Defaults from the RDS user guide, "Quotas in Amazon RDS" (40 DB instances, 40 DB clusters,
# 100 manual DB instance snapshots, 100 manual DB cluster snapshots).
_DEFAULT_QUOTAS = {"DBInstances": 40, "DBClusters": 40}
_DEFAULT_MANUAL_SNAPSHOT_QUOTA = 100


def _account_quotas(backend: RDSBackend) -> list[dict]:
    manual_max = int(_LIMITS.get("manualSnapshotQuota") or _DEFAULT_MANUAL_SNAPSHOT_QUOTA)

    def manual(store: dict) -> int:
        return sum(1 for s in list(store.values()) if s.snapshot_type == "manual")

    used = {
        "DBInstances": len(backend.databases),
        "DBClusters": len(backend.clusters),
        "ManualSnapshots": manual(backend.database_snapshots),
        "ManualClusterSnapshots": manual(backend.cluster_snapshots),
    }
    maxima = {**_DEFAULT_QUOTAS, "ManualSnapshots": manual_max, "ManualClusterSnapshots": manual_max}
    return [{"AccountQuotaName": k, "Used": v, "Max": maxima[k]} for k, v in used.items()]


def _apply_account_attributes() -> None:
    def describe_account_attributes(self):
        return ActionResult({"AccountQuotas": _account_quotas(self.backend)})

    RDSResponse.describe_account_attributes = describe_account_attributes
