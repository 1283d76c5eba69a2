// The REST types of prebell's own custom resources (crds/), next to the
// built-in ones in controller/kube/resource.h.
#pragma once

#include "controller/kube/resource.h"

namespace prebell::reconcile {

const kube::ResourceType& Timetables();       // prebell.io/v1alpha1, timetables
const kube::ResourceType& ScalingPolicies();  // prebell.io/v1alpha1, scalingpolicies

}  // namespace prebell::reconcile
