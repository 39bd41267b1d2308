"""CloudFormation resource types that moto 5.2.5's CloudFormation does not create, for deploy/template.yaml.

moto's CloudFormation skips a resource type it has no model for: it logs "No Moto CloudFormation
support for ..." and reports the stack CREATE_COMPLETE without it. Those types in our template:

    AWS::SNS::Subscription        (raw delivery to the four queues: without it no event arrives)
    AWS::SQS::QueuePolicy         (the topic may send to the queues)
    AWS::S3::BucketPolicy         (TLS only)
    AWS::CloudWatch::Alarm        (a dead-letter queue is not empty; the SLO alarms' metric math)
    AWS::ApiGatewayV2::Api, ::Authorizer, ::Integration, ::Route, ::Stage   (the HTTP API)

Each class below maps the resource's template properties onto the call CloudFormation itself
makes (Subscribe + SetSubscriptionAttributes, SetQueueAttributes Policy, PutBucketPolicy,
PutMetricAlarm, CreateApi/CreateAuthorizer/...) on moto's own backends, and nothing more: the
template is deployed unchanged, and what it asks for can then be read back through the ordinary
APIs (GetSubscriptionAttributes, DescribeAlarms, GetAuthorizers, ...). Stack updates and deletes
of these types are not modelled (the tests create stacks only; see deploy/README.md).

Two more adjustments follow at the end: CloudFormation's event source mappings are recorded but
not polled (the functions are placeholders; the tests drive the processors), and a Lambda
function's Docker client, absent here, no longer breaks /moto-api/data.json for the whole server.

Importing this module registers the classes: moto finds models as subclasses of
CloudFormationModel. scripts/moto_server.py imports it before it serves its first request.
"""

import json

from docker.errors import DockerException
from moto.apigatewayv2.models import apigatewayv2_backends
from moto.awslambda.models import EventSourceMapping
from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat, cloudwatch_backends
from moto.core.common_models import CloudFormationModel
from moto.dynamodb.models import dynamodb_backends
from moto.iam.access_control import IAMPolicy, PermissionResult
from moto.dynamodb.models.table import Table
from moto.s3.models import FakeBucket, s3_backends
from moto.sns.models import sns_backends
from moto.sqs.models import sqs_backends
from moto.utilities.docker_utilities import DockerModel


# moto's model registry files every model class under the second part of its module name (it
# expects moto.<service>.models) for /moto-api/data.json; these classes declare one.
MODULE = "moto.cloudformation_extras"


def _text(value):
    """A template value as the string attribute APIs take (booleans lower case, objects as JSON)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def _camel(value):
    """CloudFormation's PascalCase property names as the API's camelCase (ApiGatewayV2 bodies)."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _camel(inner) for key, inner in value.items()}
    if isinstance(value, list):
        return [_camel(inner) for inner in value]
    return value


class _Created:
    """What every model here shares: Ref gives `physical_resource_id`, GetAtt the attributes.

    A mixin rather than a base: moto lists models as the *direct* subclasses of
    CloudFormationModel.
    """


    def __init__(self, physical_resource_id, attributes=None):
        self.physical_resource_id = physical_resource_id
        self.attributes = attributes or {}

    @staticmethod
    def cloudformation_name_type():
        return ""

    @classmethod
    def has_cfn_attr(cls, attr):
        return True

    def get_cfn_attribute(self, attribute_name):
        return self.attributes[attribute_name]

    def is_created(self):
        return True


class SnsSubscription(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::SNS::Subscription"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        backend = sns_backends[account_id][region_name]
        subscription = backend.subscribe(properties["TopicArn"], properties["Endpoint"], properties["Protocol"])
        for name in ("RawMessageDelivery", "FilterPolicy", "FilterPolicyScope", "RedrivePolicy", "DeliveryPolicy"):
            if name in properties:
                backend.set_subscription_attributes(subscription.arn, name, _text(properties[name]))
        return cls(subscription.arn)


class SqsQueuePolicy(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::SQS::QueuePolicy"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        backend = sqs_backends[account_id][region_name]
        policy = _text(properties["PolicyDocument"])
        for url in properties["Queues"]:
            backend.set_queue_attributes(url.rstrip("/").rsplit("/", 1)[-1], {"Policy": policy})
        return cls(resource_name)


class S3BucketPolicy(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        properties = cloudformation_json["Properties"]
        backend = s3_backends[account_id]["aws"]
        backend.put_bucket_policy(properties["Bucket"], _text(properties["PolicyDocument"]).encode())
        return cls(properties["Bucket"])


def _metric_data_query(query):
    """One item of an alarm's `Metrics` (a metric to fetch or a math expression) as moto's model."""
    stat = query.get("MetricStat")
    metric_stat = None
    if stat:
        metric = stat["Metric"]
        metric_stat = MetricStat(
            metric=Metric(
                metric_name=metric["MetricName"],
                namespace=metric.get("Namespace"),
                dimensions=[Dimension(d["Name"], d["Value"]) for d in metric.get("Dimensions", [])],
            ),
            period=int(stat["Period"]),
            stat=stat["Stat"],
            unit=stat.get("Unit"),
        )
    return MetricDataQuery(
        query_id=query["Id"],
        label=query.get("Label"),
        period=int(query["Period"]) if "Period" in query else None,
        return_data=query.get("ReturnData", True) in (True, "true"),
        expression=query.get("Expression"),
        metric_stat=metric_stat,
    )


class CloudWatchAlarm(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::CloudWatch::Alarm"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        backend = cloudwatch_backends[account_id][region_name]
        name = p.get("AlarmName", resource_name)
        # A metric math alarm (Metrics) names its metrics in the queries, not at the top level.
        queries = [_metric_data_query(query) for query in p["Metrics"]] if "Metrics" in p else None
        alarm = backend.put_metric_alarm(
            name=name,
            namespace=p.get("Namespace"),
            metric_name=p.get("MetricName"),
            metric_data_queries=queries,
            comparison_operator=p["ComparisonOperator"],
            evaluation_periods=int(p["EvaluationPeriods"]),
            period=int(p["Period"]) if "Period" in p else None,
            threshold=float(p["Threshold"]),
            statistic=p.get("Statistic"),
            extended_statistic=p.get("ExtendedStatistic"),
            evaluate_low_sample_count_percentile=p.get("EvaluateLowSampleCountPercentile"),
            threshold_metric_id=p.get("ThresholdMetricId"),
            unit=p.get("Unit"),
            description=p.get("AlarmDescription"),
            dimensions=[{"Name": d["Name"], "Value": d["Value"]} for d in p.get("Dimensions", [])],
            alarm_actions=p.get("AlarmActions", []),
            ok_actions=p.get("OKActions", []),
            insufficient_data_actions=p.get("InsufficientDataActions", []),
            datapoints_to_alarm=int(p["DatapointsToAlarm"]) if "DatapointsToAlarm" in p else None,
            treat_missing_data=p.get("TreatMissingData"),
            actions_enabled=p.get("ActionsEnabled", True) in (True, "true"),
        )
        return cls(name, {"Arn": alarm.alarm_arn})


class ApiGatewayV2Api(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGatewayV2::Api"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        api = apigatewayv2_backends[account_id][region_name].create_api(
            api_key_selection_expression=p.get("ApiKeySelectionExpression"),
            cors_configuration=_camel(p.get("CorsConfiguration")),
            description=p.get("Description"),
            disable_schema_validation=p.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=p.get("DisableExecuteApiEndpoint"),
            name=p["Name"],
            protocol_type=p["ProtocolType"],
            route_selection_expression=p.get("RouteSelectionExpression"),
            tags=p.get("Tags", {}),
            version=p.get("Version"),
        )
        return cls(api.api_id, {"ApiId": api.api_id, "ApiEndpoint": api.api_endpoint})


class ApiGatewayV2Authorizer(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGatewayV2::Authorizer"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        authorizer = apigatewayv2_backends[account_id][region_name].create_authorizer(
            api_id=p["ApiId"],
            auth_creds_arn=p.get("AuthorizerCredentialsArn"),
            auth_payload_format_version=p.get("AuthorizerPayloadFormatVersion"),
            auth_result_ttl=p.get("AuthorizerResultTtlInSeconds"),
            authorizer_uri=p.get("AuthorizerUri"),
            authorizer_type=p["AuthorizerType"],
            enable_simple_response=p.get("EnableSimpleResponses"),
            identity_source=p.get("IdentitySource"),
            identity_validation_expr=p.get("IdentityValidationExpression"),
            jwt_config=_camel(p.get("JwtConfiguration")),
            name=p["Name"],
        )
        return cls(authorizer.id, {"AuthorizerId": authorizer.id})


class ApiGatewayV2Integration(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGatewayV2::Integration"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        api = apigatewayv2_backends[account_id][region_name].get_api(p["ApiId"])
        integration = api.create_integration(
            connection_type=p.get("ConnectionType"),
            description=p.get("Description"),
            integration_method=p.get("IntegrationMethod"),
            integration_type=p["IntegrationType"],
            integration_uri=p.get("IntegrationUri"),
            payload_format_version=p.get("PayloadFormatVersion"),
            timeout_in_millis=p.get("TimeoutInMillis"),
        )
        return cls(integration.id, {"IntegrationId": integration.id})


class ApiGatewayV2Route(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGatewayV2::Route"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        api = apigatewayv2_backends[account_id][region_name].get_api(p["ApiId"])
        route = api.create_route(
            api_key_required=p.get("ApiKeyRequired", False),
            authorization_scopes=p.get("AuthorizationScopes", []),
            route_key=p["RouteKey"],
            target=p.get("Target"),
            authorization_type=p.get("AuthorizationType"),
            authorizer_id=p.get("AuthorizerId"),
            operation_name=p.get("OperationName"),
        )
        return cls(route.route_id, {"RouteId": route.route_id})


class ApiGatewayV2Stage(_Created, CloudFormationModel):
    __module__ = MODULE

    @staticmethod
    def cloudformation_type():
        return "AWS::ApiGatewayV2::Stage"

    @classmethod
    def create_from_cloudformation_json(cls, resource_name, cloudformation_json, account_id, region_name, **kwargs):
        p = cloudformation_json["Properties"]
        api = apigatewayv2_backends[account_id][region_name].get_api(p["ApiId"])
        config = _camel({key: value for key, value in p.items() if key != "ApiId"})
        stage = api.create_stage(config)
        return cls(stage.name)


# --- Properties moto's own models ignore -------------------------------------------------------
#
# moto creates AWS::S3::Bucket with its name, encryption and tags only, and AWS::DynamoDB::Table
# without point-in-time recovery or deletion protection. The wrappers below let moto create the
# resource as before and then apply the remaining properties through the same backend calls the
# APIs use (PutBucketVersioning, PutPublicAccessBlock, PutBucketOwnershipControls,
# PutBucketLifecycleConfiguration, UpdateContinuousBackups, UpdateTable), so they read back as on
# AWS. Lifecycle rules are stored, never applied (moto does not age objects).


def _lifecycle_rule(rule):
    """One CloudFormation lifecycle rule in the shape PutBucketLifecycleConfiguration parses."""
    api = {"ID": rule.get("Id"), "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    transitions = [
        {"Days": int(t["TransitionInDays"]), "StorageClass": t["StorageClass"]}
        for t in rule.get("Transitions", [])
        if "TransitionInDays" in t
    ]
    if transitions:
        api["Transition"] = transitions
    if "NoncurrentVersionExpiration" in rule:
        api["NoncurrentVersionExpiration"] = {
            "NoncurrentDays": int(rule["NoncurrentVersionExpiration"]["NoncurrentDays"])
        }
    if "AbortIncompleteMultipartUpload" in rule:
        api["AbortIncompleteMultipartUpload"] = {
            "DaysAfterInitiation": int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        }
    return api


def _complete_bucket(create):
    def wrapped(resource_name, cloudformation_json, account_id, region_name, **kwargs):
        bucket = create(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        backend = s3_backends[account_id]["aws"]
        if "VersioningConfiguration" in properties:
            backend.put_bucket_versioning(bucket.name, properties["VersioningConfiguration"]["Status"])
        if "PublicAccessBlockConfiguration" in properties:
            backend.put_public_access_block(
                bucket.name, {key: _text(value) for key, value in properties["PublicAccessBlockConfiguration"].items()}
            )
        if "OwnershipControls" in properties:
            backend.put_bucket_ownership_controls(
                bucket.name, properties["OwnershipControls"]["Rules"][0]["ObjectOwnership"]
            )
        if "LifecycleConfiguration" in properties:
            rules = [_lifecycle_rule(rule) for rule in properties["LifecycleConfiguration"]["Rules"]]
            backend.put_bucket_lifecycle_configuration(bucket.name, rules)
        return bucket

    return wrapped


def _complete_table(create):
    def wrapped(resource_name, cloudformation_json, account_id, region_name, **kwargs):
        table = create(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        properties = cloudformation_json.get("Properties", {})
        pitr = properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled")
        if pitr in (True, "true"):
            dynamodb_backends[account_id][region_name].update_continuous_backups(
                table.name, {"PointInTimeRecoveryEnabled": True}
            )
        if "DeletionProtectionEnabled" in properties:
            table.deletion_protection_enabled = properties["DeletionProtectionEnabled"] in (True, "true")
        return table

    return wrapped


# moto enforces a bucket policy's Deny statements without evaluating their conditions, so the
# template's TLS-only statement (Deny when aws:SecureTransport is false) would refuse every request.
# The SDK reaches S3 only over TLS; the local plain-HTTP server stands in for that endpoint, so such
# statements are left out of moto's evaluation. The stored policy is unchanged (GetBucketPolicy).


def _denies_insecure_transport_only(statement):
    """A Deny whose only condition is `"Bool": {"aws:SecureTransport": "false"}`."""
    if statement.get("Effect") != "Deny":
        return False
    condition = statement.get("Condition") or {}
    values = condition.get("Bool") or {}
    return (
        list(condition) == ["Bool"]
        and list(values) == ["aws:SecureTransport"]
        and str(values["aws:SecureTransport"]).lower() == "false"
    )


_moto_get_permission = FakeBucket.get_permission


def _get_permission_over_tls(self, action, resource):
    if self.policy is None:
        return _moto_get_permission(self, action, resource)
    policy = json.loads(self.policy)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    kept = [statement for statement in statements if not _denies_insecure_transport_only(statement)]
    if len(kept) == len(statements):
        return _moto_get_permission(self, action, resource)
    if not kept:
        return PermissionResult.NEUTRAL
    return IAMPolicy(json.dumps({**policy, "Statement": kept})).is_action_permitted(action, resource)


FakeBucket.get_permission = _get_permission_over_tls
FakeBucket.create_from_cloudformation_json = staticmethod(_complete_bucket(FakeBucket.create_from_cloudformation_json))
Table.create_from_cloudformation_json = staticmethod(_complete_table(Table.create_from_cloudformation_json))


# --- /moto-api/data.json with Lambda functions on a machine without Docker ----------------------
#
# The template creates Lambda functions. moto's /moto-api/data.json (read by the aws_pipeline tests
# on the same server for the emails SES "sent") serializes every attribute of every model, and a
# Lambda function's `docker_client` property connects to Docker: without Docker it raises
# DockerException, which data.json does not expect, and answers 500 for the whole server. Raised as
# AttributeError instead, data.json skips the attribute as it skips any other it cannot read.

_moto_docker_client = DockerModel.docker_client


def _docker_client_or_absent(self):
    try:
        return _moto_docker_client.fget(self)
    except DockerException as error:
        raise AttributeError(f"docker_client: Docker is not available ({error})") from error


DockerModel.docker_client = property(_docker_client_or_absent)


# --- Event source mappings of placeholder functions --------------------------------------------
#
# moto runs a queue's mapped function for every message sent to it (receiving the messages, which
# counts against the redrive policy, and invoking the function in Docker). The template's functions
# are placeholder zips here, Docker is not available, and the tests drive the processors over the
# queues themselves, as the functions would. So an event source mapping created by CloudFormation
# is recorded (ListEventSourceMappings, GetEventSourceMapping) but not attached to its queue.


def _recorded_not_polled(create):
    def wrapped(resource_name, cloudformation_json, account_id, region_name, **kwargs):
        mapping = create(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        for queue in sqs_backends[account_id][region_name].queues.values():
            if queue.queue_arn == mapping.event_source_arn:
                queue.lambda_event_source_mappings.pop(mapping.function_arn, None)
        return mapping

    return wrapped


EventSourceMapping.create_from_cloudformation_json = staticmethod(
    _recorded_not_polled(EventSourceMapping.create_from_cloudformation_json)
)
