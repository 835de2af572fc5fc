package main

// What the stand-in knows of AWS: partitions, the shape of ARNs, ids and URLs, and which input is
// a resource's name. It is generic on purpose: a type it has no row for still gets an `arn` in the
// generic form arn:<partition>:<module>:<region>:<account>:<resource>/<name> and the id of its
// name, so new `aws:` resource types in the program need no change here. Rows exist only where
// the program (or a policy) reads a value whose exact form AWS fixes. Nothing here checks that a
// value is valid for AWS: this is not an AWS emulator.

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// partitionOf maps a region to its partition and DNS suffix, as the AWS SDKs' endpoint rules do
// (docs.aws.amazon.com/whitepapers/latest/aws-fault-isolation-boundaries/partitions.html).
func partitionOf(region string) (partition, dnsSuffix string) {
	switch {
	case strings.HasPrefix(region, "cn-"):
		return "aws-cn", "amazonaws.com.cn"
	case strings.HasPrefix(region, "us-gov-"):
		return "aws-us-gov", "amazonaws.com"
	case strings.HasPrefix(region, "us-isob-"):
		return "aws-iso-b", "sc2s.sgov.gov"
	case strings.HasPrefix(region, "us-iso-"):
		return "aws-iso", "c2s.ic.gov"
	default:
		return "aws", "amazonaws.com"
	}
}

var (
	regionPattern  = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d+$`)
	accountPattern = regexp.MustCompile(`^\d{12}$`)
	rolePattern    = regexp.MustCompile(`^arn:(aws|aws-cn|aws-us-gov|aws-iso|aws-iso-b):iam::(\d{12}):role/.+$`)
)

// tokenParts splits "aws:sqs/queue:Queue" into module "sqs" and resource "queue".
func tokenParts(typ string) (module, resource string) {
	parts := strings.Split(typ, ":")
	if len(parts) != 3 {
		return "", typ
	}
	mod := parts[1]
	if i := strings.Index(mod, "/"); i >= 0 {
		return mod[:i], mod[i+1:]
	}
	return mod, strings.ToLower(parts[2])
}

// nameKeys: the input that names the resource, where it is not `name`. "" = the type has no name
// (no auto-name is invented for it).
var nameKeys = map[string]string{
	"aws:s3/bucket:Bucket":                                                  "bucket",
	"aws:s3/bucketV2:BucketV2":                                              "bucket",
	"aws:rds/instance:Instance":                                             "identifier",
	"aws:rds/clusterInstance:ClusterInstance":                               "identifier",
	"aws:rds/cluster:Cluster":                                               "clusterIdentifier",
	"aws:rds/snapshot:Snapshot":                                             "dbSnapshotIdentifier",
	"aws:rds/clusterSnapshot:ClusterSnapshot":                               "dbClusterSnapshotIdentifier",
	"aws:rds/snapshotCopy:SnapshotCopy":                                     "targetDbSnapshotIdentifier",
	"aws:cloudwatch/dashboard:Dashboard":                                    "dashboardName",
	"aws:lambda/permission:Permission":                                      "statementId",
	"aws:cloudwatch/eventTarget:EventTarget":                                "targetId",
	"aws:sqs/queuePolicy:QueuePolicy":                                       "",
	"aws:sqs/redrivePolicy:RedrivePolicy":                                   "",
	"aws:sqs/redriveAllowPolicy:RedriveAllowPolicy":                         "",
	"aws:sns/topicPolicy:TopicPolicy":                                       "",
	"aws:sns/topicSubscription:TopicSubscription":                           "",
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                     "",
	"aws:iam/rolePoliciesExclusive:RolePoliciesExclusive":                   "",
	"aws:iam/rolePolicyAttachmentsExclusive:RolePolicyAttachmentsExclusive": "",
	"aws:kms/key:Key":                                                       "",
	"aws:kms/grant:Grant":                                                   "",
	"aws:kms/keyPolicy:KeyPolicy":                                           "",
	"aws:lambda/eventSourceMapping:EventSourceMapping":                      "",
	"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":        "",
	"aws:organizations/policyAttachment:PolicyAttachment":                   "",
	"aws:servicequotas/serviceQuota:ServiceQuota":                           "",
	"aws:rds/snapshotAttribute:SnapshotAttribute":                           "",
}

// nameKeyOf returns the naming input of a type ("" when it has none).
func nameKeyOf(typ string) string {
	if key, ok := nameKeys[typ]; ok {
		return key
	}
	return "name"
}

// immutableKeys: inputs whose change replaces the resource, beyond its name and region (which
// replace every resource). The AWS provider knows this per attribute from its schema; the
// stand-in only for the resources the program uses, and treats every other change as an update.
var immutableKeys = map[string][]string{
	"aws:kms/key:Key":                                     {"keyUsage", "customerMasterKeySpec", "keySpec", "multiRegion", "xksKeyId", "customKeyStoreId"},
	"aws:sqs/queue:Queue":                                 {"fifoQueue"},
	"aws:sns/topic:Topic":                                 {"fifoTopic"},
	"aws:sns/topicSubscription:TopicSubscription":         {"topic", "protocol", "endpoint"},
	"aws:iam/rolePolicy:RolePolicy":                       {"role"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment":   {"role", "policyArn"},
	"aws:lambda/permission:Permission":                    {"action", "function", "principal", "sourceArn", "sourceAccount", "qualifier", "eventSourceToken", "principalOrgId", "functionUrlAuthType"},
	"aws:lambda/eventSourceMapping:EventSourceMapping":    {"eventSourceArn", "startingPosition", "startingPositionTimestamp"},
	"aws:cloudwatch/eventTarget:EventTarget":              {"rule", "eventBusName"},
	"aws:cloudwatch/eventRule:EventRule":                  {"eventBusName"},
	"aws:cloudwatch/logGroup:LogGroup":                    {"logGroupClass"},
	"aws:sqs/queuePolicy:QueuePolicy":                     {"queueUrl"},
	"aws:sqs/redrivePolicy:RedrivePolicy":                 {"queueUrl"},
	"aws:sns/topicPolicy:TopicPolicy":                     {"arn"},
	"aws:kms/alias:Alias":                                 {},
	"aws:servicequotas/serviceQuota:ServiceQuota":         {"serviceCode", "quotaCode"},
	"aws:organizations/policyAttachment:PolicyAttachment": {"policyId", "targetId"},
}

// replaceKeysOf lists the inputs whose change replaces a resource of this type.
func replaceKeysOf(typ string) map[string]bool {
	keys := map[string]bool{"region": true}
	if name := nameKeyOf(typ); name != "" {
		keys[name] = true
		keys[name+"Prefix"] = true
	}
	for _, k := range immutableKeys[typ] {
		keys[k] = true
	}
	return keys
}

// hashHex is a deterministic stand-in for the random parts AWS puts in ids (key ids, UUIDs):
// the same resource inputs give the same id, so runs can be compared.
func hashHex(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(sum[:])
}

func uuidOf(parts ...string) string {
	h := hashHex(parts...)
	return fmt.Sprintf("%s-%s-4%s-a%s-%s", h[0:8], h[8:12], h[13:16], h[17:20], h[20:32])
}

// autoName is what the AWS provider does for a resource given no name: the Pulumi name plus a
// random suffix (7 hex characters), or the given prefix plus a longer one. The randomness comes
// from the engine's per-resource random seed, as the provider's does.
func autoName(urnName, prefix string, seed []byte, fifo bool) string {
	var random string
	if len(seed) > 0 {
		random = hex.EncodeToString(seed)
	} else {
		random = hashHex(urnName, prefix) // old engines send no seed
	}
	var name string
	if prefix != "" {
		name = prefix + random[:26]
	} else {
		name = urnName + "-" + random[:7]
	}
	if fifo {
		// SQS requires FIFO queue names to end in ".fifo"; the provider appends it to auto-names.
		name += ".fifo"
	}
	return name
}

// where: the partition, region and account a resource lives in.
type where struct {
	Partition, DNSSuffix, Region, Account string
}

// globalModules hold resources without a region in their ARN.
var globalModules = map[string]bool{"iam": true, "organizations": true, "route53": true, "cloudfront": true, "s3": true, "shield": true, "waf": true}

// arnService: the ARN service of a module where it is not the module name.
func arnService(typ, module string) string {
	switch {
	case typ == "aws:cloudwatch/logGroup:LogGroup" || strings.HasPrefix(typ, "aws:cloudwatch/logStream") ||
		strings.HasPrefix(typ, "aws:cloudwatch/logSubscriptionFilter") || strings.HasPrefix(typ, "aws:cloudwatch/logMetricFilter"):
		return "logs"
	case strings.HasPrefix(typ, "aws:cloudwatch/event"):
		return "events"
	case module == "cloudwatch":
		return "cloudwatch"
	case module == "lb" || module == "alb":
		return "elasticloadbalancing"
	case module == "cognito":
		return "cognito-idp"
	default:
		return module
	}
}

// computed: the outputs AWS (through the provider) adds to a resource's inputs.
type computed struct {
	ID     string
	Values map[string]string
}

// computeOutputs returns the id and computed attributes of a resource from its inputs. keep gives
// the value of a computed attribute the resource already has (on update), so ids AWS assigns at
// creation (key ids, UUIDs) never change.
func computeOutputs(typ, urn, urnName string, in map[string]string, w where, keep func(string) string) computed {
	module, resource := tokenParts(typ)
	nameKey := nameKeyOf(typ)
	name := in[nameKey]
	p, r, a := w.Partition, w.Region, w.Account
	stable := func(key string, fresh func() string) string {
		if v := keep(key); v != "" {
			return v
		}
		return fresh()
	}
	out := map[string]string{}
	id := name
	switch typ {
	case "aws:kms/key:Key":
		keyID := stable("keyId", func() string { return uuidOf(urn, "keyId") })
		out["keyId"] = keyID
		out["arn"] = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", p, r, a, keyID)
		id = keyID
	case "aws:kms/alias:Alias":
		out["arn"] = fmt.Sprintf("arn:%s:kms:%s:%s:%s", p, r, a, name)
		if target := in["targetKeyId"]; strings.HasPrefix(target, "arn:") {
			out["targetKeyArn"] = target
		} else if target != "" {
			out["targetKeyArn"] = fmt.Sprintf("arn:%s:kms:%s:%s:key/%s", p, r, a, target)
		}
	case "aws:sqs/queue:Queue":
		out["arn"] = fmt.Sprintf("arn:%s:sqs:%s:%s:%s", p, r, a, name)
		out["url"] = fmt.Sprintf("https://sqs.%s.%s/%s/%s", r, w.DNSSuffix, a, name)
		id = out["url"]
	case "aws:sqs/queuePolicy:QueuePolicy", "aws:sqs/redrivePolicy:RedrivePolicy", "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy":
		id = in["queueUrl"]
	case "aws:sns/topic:Topic":
		out["arn"] = fmt.Sprintf("arn:%s:sns:%s:%s:%s", p, r, a, name)
		out["owner"] = a
		id = out["arn"]
	case "aws:sns/topicPolicy:TopicPolicy":
		out["owner"] = a
		id = in["arn"]
	case "aws:sns/topicSubscription:TopicSubscription":
		out["arn"] = stable("arn", func() string { return in["topic"] + ":" + uuidOf(urn, "subscription") })
		out["ownerId"] = a
		id = out["arn"]
	case "aws:iam/role:Role", "aws:iam/user:User", "aws:iam/policy:Policy", "aws:iam/instanceProfile:InstanceProfile", "aws:iam/group:Group":
		path := in["path"]
		if path == "" {
			path = "/"
		}
		out["arn"] = fmt.Sprintf("arn:%s:iam::%s:%s%s%s", p, a, kebab(resource), path, name)
		if typ == "aws:iam/policy:Policy" {
			id = out["arn"]
			out["policyId"] = stable("policyId", func() string { return "ANPA" + strings.ToUpper(hashHex(urn)[:17]) })
		} else {
			out["uniqueId"] = stable("uniqueId", func() string { return "AROA" + strings.ToUpper(hashHex(urn)[:17]) })
		}
	case "aws:iam/rolePolicy:RolePolicy":
		id = in["role"] + ":" + name
	case "aws:iam/rolePolicyAttachment:RolePolicyAttachment":
		id = stable("id", func() string { return in["role"] + "-" + hashHex(urn)[:26] })
	case "aws:lambda/function:Function":
		arn := fmt.Sprintf("arn:%s:lambda:%s:%s:function:%s", p, r, a, name)
		out["arn"] = arn
		out["invokeArn"] = fmt.Sprintf("arn:%s:apigateway:%s:lambda:path/2015-03-31/functions/%s/invocations", p, r, arn)
		out["qualifiedArn"] = arn + ":$LATEST"
		out["version"] = "$LATEST"
	case "aws:lambda/eventSourceMapping:EventSourceMapping":
		uuid := stable("uuid", func() string { return uuidOf(urn, "esm") })
		out["uuid"] = uuid
		out["arn"] = fmt.Sprintf("arn:%s:lambda:%s:%s:event-source-mapping:%s", p, r, a, uuid)
		id = uuid
	case "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig":
		id = in["functionName"]
	case "aws:cloudwatch/logGroup:LogGroup":
		out["arn"] = fmt.Sprintf("arn:%s:logs:%s:%s:log-group:%s", p, r, a, name)
	case "aws:cloudwatch/eventRule:EventRule":
		qualified := name
		if bus := in["eventBusName"]; bus != "" && bus != "default" {
			qualified = bus + "/" + name
		}
		out["arn"] = fmt.Sprintf("arn:%s:events:%s:%s:rule/%s", p, r, a, qualified)
		id = qualified
	case "aws:cloudwatch/eventBus:EventBus":
		out["arn"] = fmt.Sprintf("arn:%s:events:%s:%s:event-bus/%s", p, r, a, name)
	case "aws:cloudwatch/eventTarget:EventTarget":
		bus := in["eventBusName"]
		if bus == "" || bus == "default" {
			id = in["rule"] + "-" + name
		} else {
			id = bus + "-" + in["rule"] + "-" + name
		}
	case "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm":
		out["arn"] = fmt.Sprintf("arn:%s:cloudwatch:%s:%s:alarm:%s", p, r, a, name)
	case "aws:cloudwatch/dashboard:Dashboard":
		out["dashboardArn"] = fmt.Sprintf("arn:%s:cloudwatch::%s:dashboard/%s", p, a, name)
	case "aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2":
		out["arn"] = fmt.Sprintf("arn:%s:s3:::%s", p, name)
		out["bucketDomainName"] = name + ".s3." + w.DNSSuffix
		out["bucketRegionalDomainName"] = fmt.Sprintf("%s.s3.%s.%s", name, r, w.DNSSuffix)
	case "aws:rds/instance:Instance", "aws:rds/clusterInstance:ClusterInstance":
		out["arn"] = fmt.Sprintf("arn:%s:rds:%s:%s:db:%s", p, r, a, name)
		out["resourceId"] = stable("resourceId", func() string { return "db-" + strings.ToUpper(hashHex(urn)[:26]) })
	case "aws:rds/cluster:Cluster":
		out["arn"] = fmt.Sprintf("arn:%s:rds:%s:%s:cluster:%s", p, r, a, name)
		out["clusterResourceId"] = stable("clusterResourceId", func() string { return "cluster-" + strings.ToUpper(hashHex(urn)[:26]) })
	case "aws:rds/parameterGroup:ParameterGroup":
		out["arn"] = fmt.Sprintf("arn:%s:rds:%s:%s:pg:%s", p, r, a, name)
	case "aws:rds/clusterParameterGroup:ClusterParameterGroup":
		out["arn"] = fmt.Sprintf("arn:%s:rds:%s:%s:cluster-pg:%s", p, r, a, name)
	case "aws:rds/subnetGroup:SubnetGroup":
		out["arn"] = fmt.Sprintf("arn:%s:rds:%s:%s:subgrp:%s", p, r, a, name)
	case "aws:rds/optionGroup:OptionGroup":
		out["arn"] = fmt.Sprintf("arn:%s:rds:%s:%s:og:%s", p, r, a, name)
	case "aws:rds/eventSubscription:EventSubscription":
		out["arn"] = fmt.Sprintf("arn:%s:rds:%s:%s:es:%s", p, r, a, name)
	case "aws:rds/snapshot:Snapshot", "aws:rds/snapshotCopy:SnapshotCopy":
		out["dbSnapshotArn"] = fmt.Sprintf("arn:%s:rds:%s:%s:snapshot:%s", p, r, a, name)
	case "aws:rds/clusterSnapshot:ClusterSnapshot":
		out["dbClusterSnapshotArn"] = fmt.Sprintf("arn:%s:rds:%s:%s:cluster-snapshot:%s", p, r, a, name)
	case "aws:organizations/policy:Policy":
		policyID := stable("id", func() string { return "p-" + hashHex(urn)[:8] })
		kind := strings.ToLower(in["type"])
		if kind == "" {
			kind = "service_control_policy"
		}
		out["arn"] = fmt.Sprintf("arn:%s:organizations::%s:policy/o-%s/%s/%s", p, a, hashHex(a)[:10], kind, policyID)
		id = policyID
	case "aws:organizations/policyAttachment:PolicyAttachment":
		id = in["targetId"] + ":" + in["policyId"]
	case "aws:servicequotas/serviceQuota:ServiceQuota":
		out["arn"] = fmt.Sprintf("arn:%s:servicequotas:%s:%s:%s/%s", p, r, a, in["serviceCode"], in["quotaCode"])
		id = in["serviceCode"] + "/" + in["quotaCode"]
	default:
		// Generic: arn:<partition>:<service>:<region>:<account>:<resource>/<name or id>.
		if id == "" {
			id = stable("id", func() string { return urnName + "-" + hashHex(urn)[:8] })
		}
		region, account := r, a
		if globalModules[module] {
			region = ""
		}
		out["arn"] = fmt.Sprintf("arn:%s:%s:%s:%s:%s/%s", p, arnService(typ, module), region, account, kebab(resource), id)
	}
	if id == "" {
		id = stable("id", func() string { return urnName + "-" + hashHex(urn)[:8] })
	}
	return computed{ID: id, Values: out}
}

// kebab turns "metricAlarm" into "metric-alarm".
func kebab(s string) string {
	var b strings.Builder
	for i, c := range s {
		if c >= 'A' && c <= 'Z' {
			if i > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(c + ('a' - 'A'))
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}
