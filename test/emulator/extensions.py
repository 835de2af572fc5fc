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

The fault codes for 2 and 3 are not documented; ``InvalidParameterValue`` is what RDS
returns for the analogous cross-Region case. Not emulated: key policies and grants,
cross-Region shared copies, snapshot states other than ``available``.
"""

from __future__ import annotations

from typing import Any

from moto.core.responses import ActionResult
from moto.kms.models import kms_backends
from moto.rds.exceptions import (
    DBClusterSnapshotAlreadyExistsError,
    DBClusterSnapshotNotFoundError,
    DBSnapshotAlreadyExistsError,
    DBSnapshotNotFoundFault,
    InvalidParameterValue,
    KMSKeyNotAccessibleFault,
    RDSClientError,
)
from moto.rds.models import DBClusterSnapshot, DBSnapshot, RDSBackend, rds_backends
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

    # 4.
    def describe_db_snapshots(self):
        found = _describe(self, DBSnapshot, "DBInstanceIdentifier", "DBSnapshotIdentifier")
        return ActionResult({"DBSnapshots": found})

    def describe_db_cluster_snapshots(self):
        found = _describe(
            self, DBClusterSnapshot, "DBClusterIdentifier", "DBClusterSnapshotIdentifier"
        )
        return ActionResult({"DBClusterSnapshots": found})

    RDSBackend.get_snapshot = get_snapshot
    RDSBackend.copy_db_snapshot = copy_db_snapshot
    RDSBackend.copy_db_cluster_snapshot = copy_db_cluster_snapshot
    RDSBackend._validate_kms_key = _validate_kms_key
    RDSResponse.describe_db_snapshots = describe_db_snapshots
    RDSResponse.describe_db_cluster_snapshots = describe_db_cluster_snapshots
