"""Serializer configuration for specs: SpiffWorkflow's Camunda config plus Fuse's spec classes."""
from __future__ import annotations

from copy import deepcopy

from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.task_spec import (
    MultiInstanceTaskConverter, ScriptTaskConverter, SubWorkflowConverter,
)
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask as CamundaBusinessRuleTask
from SpiffWorkflow.dmn.serializer.task_spec import BaseBusinessRuleTaskConverter
from SpiffWorkflow.bpmn.specs.defaults import CallActivity as SpiffCallActivity
from SpiffWorkflow.bpmn.specs.defaults import InclusiveGateway as SpiffInclusiveGateway
from SpiffWorkflow.bpmn.specs.defaults import ScriptTask as SpiffScriptTask
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.serializer.task_spec import UserTaskConverter
from SpiffWorkflow.camunda.specs.user_task import UserTask as CamundaUserTask

from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition

from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow as SpiffBpmnSubWorkflow
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow as SpiffBpmnWorkflow
from SpiffWorkflow.task import Task as SpiffTask

from bpmn.compensation_specs import AdHocSpecConverter, ProcessSpecConverter, compensation_converters
from bpmn.event_gateway import FirstEventDefinition
from bpmn.inclusive_join import InclusiveGateway
from bpmn.multi_instance import CAMUNDA_MULTI_INSTANCE
from bpmn.parser import FuseParser
from bpmn.prediction import replaced_class
from bpmn.reserved_ids import FuseAdHocSpec, FuseProcessSpec
from bpmn.scheduled_start import ScheduledStartEventDefinition
from bpmn.specs import (
    BusinessRuleTask, CallActivity, PassThroughTask, ScriptTask, ServiceTask, UserTask, ZeebeParallelMultiInstance,
    ZeebeSequentialMultiInstance,
)
from bpmn.tree import BpmnSubWorkflow, BpmnWorkflow, Task


class FuseUserTaskConverter(UserTaskConverter):
    def to_dict(self, spec):
        dct = super().to_dict(spec)
        dct["assignment"] = spec.assignment
        return dct


def spec_config() -> dict:
    """Converter classes by spec class; the engine adds its workflow converters to this."""
    config = deepcopy(CAMUNDA_CONFIG)
    # Converters are found by class name too, so Camunda's UserTask must make way for ours.
    config.pop(CamundaUserTask)
    config[UserTask] = FuseUserTaskConverter
    config[PassThroughTask] = BpmnTaskSpecConverter
    config.pop(SpiffScriptTask)
    config[ScriptTask] = ScriptTaskConverter
    config.pop(SpiffCallActivity)
    config[CallActivity] = SubWorkflowConverter
    config.pop(CamundaBusinessRuleTask)
    config[BusinessRuleTask] = BaseBusinessRuleTaskConverter
    config[ZeebeParallelMultiInstance] = MultiInstanceTaskConverter
    config[ZeebeSequentialMultiInstance] = MultiInstanceTaskConverter
    for spiff_class, fuse_class in CAMUNDA_MULTI_INSTANCE.items():
        config[fuse_class] = config.pop(spiff_class)
    config[ScheduledStartEventDefinition] = config[CycleTimerEventDefinition]
    config[FirstEventDefinition] = config[MultipleEventDefinition]
    # SpiffWorkflow ships no converter for its plain ServiceTask; Fuse runs its own.
    config[ServiceTask] = BpmnTaskSpecConverter
    config.update(compensation_converters())
    config[FuseProcessSpec] = ProcessSpecConverter
    config[FuseAdHocSpec] = AdHocSpecConverter
    config[InclusiveGateway] = config.pop(SpiffInclusiveGateway)  # an iterative join check (bpmn.inclusive_join)
    # The parser's specs predict from a queue (bpmn.prediction): same names, so stored specs load as them.
    for spec_class in {spec for _, spec in FuseParser.OVERRIDE_PARSER_CLASSES.values()}:
        if (library_class := replaced_class(spec_class)) is not None:
            config[spec_class] = config.pop(library_class)
    # Tasks and workflows walk the tree with loops (bpmn.tree): same names, so stored states load as them.
    config[Task] = config.pop(SpiffTask)
    config[BpmnSubWorkflow] = config.pop(SpiffBpmnSubWorkflow)
    config[BpmnWorkflow] = config.pop(SpiffBpmnWorkflow)
    return config
