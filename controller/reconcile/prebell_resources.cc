#include "controller/reconcile/prebell_resources.h"

namespace prebell::reconcile {

const kube::ResourceType& Timetables() {
  static const kube::ResourceType t{"prebell.io", "v1alpha1", "timetables", "Timetable", true};
  return t;
}

const kube::ResourceType& ScalingPolicies() {
  static const kube::ResourceType t{"prebell.io", "v1alpha1", "scalingpolicies", "ScalingPolicy",
                                    true};
  return t;
}

}  // namespace prebell::reconcile
