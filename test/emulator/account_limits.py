"""Lambda's account quota, which the preflight reads, for moto 5.2.5 (rds-failsafe emulator).

Applied by ``server.py`` after ``extensions.apply()``; EXTENSIONS.md row 15 (row 11, RDS's
``DescribeAccountAttributes``, is in extensions.py).

14. ``GetAccountSettings`` (Lambda; moto: not implemented) and the reservation rule of
    ``PutFunctionConcurrency`` per account. Run-time knob ``POST /moto-api/config
    {"rds_failsafe_accounts": {"lambdaConcurrency": {"<account>": N}}}`` (cleared by reset;
    default 1000, AWS's usual account quota). ``AccountLimit.ConcurrentExecutions`` is N and
    ``UnreservedConcurrentExecutions`` is N minus the functions' reservations;
    ``PutFunctionConcurrency`` is refused when it would leave fewer than 100 unreserved, with
    the message Lambda gives ("Specified ReservedConcurrentExecutions for function decreases
    account's UnreservedConcurrentExecution below its minimum value of [100]."; the Lambda
    developer guide, "Configuring reserved concurrency": Lambda keeps 100 unreserved). moto
    enforces that rule only with MOTO_LAMBDA_CONCURRENCY_QUOTA, fixed for every account when
    the server starts; a new account's quota of 10 is what the tests need for one account.
"""

from __future__ import annotations

import json

from moto.awslambda import urls as lambda_urls
from moto.awslambda.exceptions import InvalidParameterValueException
from moto.awslambda.models import LambdaBackend
from moto.awslambda.responses import LambdaResponse
from moto.moto_api._internal.models import MotoAPIBackend

_LAMBDA: dict[str, dict[str, int]] = {"lambdaConcurrency": {}}
DEFAULT_LAMBDA_CONCURRENCY = 1000
MIN_UNRESERVED = 100


def _lambda_quota(account_id: str) -> int:
    return int(_LAMBDA["lambdaConcurrency"].get(account_id, DEFAULT_LAMBDA_CONCURRENCY))


def _reserved(backend: LambdaBackend, except_function: str | None = None) -> int:
    return sum(
        int(f.reserved_concurrency)
        for f in backend.list_functions()
        if f.reserved_concurrency and f.function_name != except_function
    )


def apply() -> None:
    if getattr(LambdaResponse, "_rds_failsafe_accounts", False):
        return
    LambdaResponse._rds_failsafe_accounts = True

    # knobs
    orig_set_config = MotoAPIBackend.set_config
    orig_get_config = MotoAPIBackend.get_config
    orig_reset = MotoAPIBackend.reset

    def set_config(self, config):
        knobs = config.get("rds_failsafe_accounts")
        if isinstance(knobs, dict) and isinstance(knobs.get("lambdaConcurrency"), dict):
            _LAMBDA["lambdaConcurrency"] = {
                str(k): int(v) for k, v in knobs["lambdaConcurrency"].items()
            }
        return orig_set_config(self, config)

    def get_config(self):
        return {**orig_get_config(self), "rds_failsafe_accounts": {**_LAMBDA}}

    def reset(self):
        _LAMBDA["lambdaConcurrency"] = {}
        return orig_reset(self)

    MotoAPIBackend.set_config = set_config
    MotoAPIBackend.get_config = get_config
    MotoAPIBackend.reset = reset

    # 15. GetAccountSettings: GET /2016-08-19/account-settings/
    lambda_urls.url_paths[r"{0}/(?P<api_version>[^/]+)/account-settings/?$"] = (
        LambdaResponse.dispatch
    )

    def get_account_settings(self):
        quota = _lambda_quota(self.current_account)
        functions = self.backend.list_functions()
        body = {
            "AccountLimit": {
                "TotalCodeSize": 80530636800,
                "CodeSizeUnzipped": 262144000,
                "CodeSizeZipped": 52428800,
                "ConcurrentExecutions": quota,
                "UnreservedConcurrentExecutions": quota - _reserved(self.backend),
            },
            "AccountUsage": {
                "TotalCodeSize": sum(int(getattr(f, "code_size", 0) or 0) for f in functions),
                "FunctionCount": len(functions),
            },
        }
        return 200, {}, json.dumps(body)

    LambdaResponse.get_account_settings = get_account_settings

    orig_put_concurrency = LambdaBackend.put_function_concurrency

    def put_function_concurrency(self, function_name, reserved_concurrency):
        if self.account_id in _LAMBDA["lambdaConcurrency"]:
            left = (
                _lambda_quota(self.account_id)
                - int(reserved_concurrency)
                - _reserved(self, except_function=function_name)
            )
            if left < MIN_UNRESERVED:
                raise InvalidParameterValueException(
                    "Specified ReservedConcurrentExecutions for function decreases account's "
                    "UnreservedConcurrentExecution below its minimum value of [100]."
                )
        return orig_put_concurrency(self, function_name, reserved_concurrency)

    LambdaBackend.put_function_concurrency = put_function_concurrency
