#include "chatiere/provisioning/Jobs.h"

#include <algorithm>
#include <array>
#include <utility>

namespace chatiere::provisioning {

namespace {

// The names stored in the database: never change one (a job in flight holds it); add new ones.
constexpr std::array<std::pair<JobStep, const char*>, 21> kNames = {{
    {JobStep::EnsurePool, "ensure_pool"},
    {JobStep::EnsureImage, "ensure_image"},
    {JobStep::EnsureVolume, "ensure_volume"},
    {JobStep::Define, "define"},
    {JobStep::Start, "start"},
    {JobStep::BecomeActive, "become_active"},
    {JobStep::ApplyState, "apply_state"},
    {JobStep::WriteVolume, "write_volume"},
    {JobStep::SwitchVolume, "switch_volume"},
    {JobStep::WaitHealthy, "wait_healthy"},
    {JobStep::CommitVolume, "commit_volume"},
    {JobStep::DeleteOldVolumes, "delete_old_volumes"},
    {JobStep::UndoNewVolume, "undo_new_volume"},
    {JobStep::UndoSwitch, "undo_switch"},
    {JobStep::StopGuest, "stop_guest"},
    {JobStep::GrowVolume, "grow_volume"},
    {JobStep::DefineAndStart, "define_and_start"},
    {JobStep::UndoResize, "undo_resize"},
    {JobStep::Remove, "remove"},
    {JobStep::Configure, "configure"},
    {JobStep::UndoRollout, "undo_rollout"},
}};

}  // namespace

std::string toString(JobStep step) {
    for (const auto& [value, name] : kNames) {
        if (value == step) {
            return name;
        }
    }
    return "unknown";
}

std::optional<JobStep> jobStepFrom(const std::string& text) {
    for (const auto& [value, name] : kNames) {
        if (text == name) {
            return value;
        }
    }
    return std::nullopt;
}

const std::vector<JobStep>& forwardSteps(JobKind kind) {
    static const std::vector<JobStep> create = {
        JobStep::EnsurePool, JobStep::EnsureImage, JobStep::EnsureVolume, JobStep::Define,
        JobStep::Start,      JobStep::Configure,   JobStep::BecomeActive};
    static const std::vector<JobStep> apply = {JobStep::ApplyState, JobStep::Configure};
    static const std::vector<JobStep> replace = {JobStep::WriteVolume,  JobStep::SwitchVolume,
                                                 JobStep::Configure,    JobStep::WaitHealthy,
                                                 JobStep::CommitVolume, JobStep::DeleteOldVolumes};
    static const std::vector<JobStep> resize = {JobStep::StopGuest, JobStep::GrowVolume,
                                                JobStep::DefineAndStart, JobStep::Configure,
                                                JobStep::BecomeActive};
    static const std::vector<JobStep> remove = {JobStep::Remove};
    static const std::vector<JobStep> rollout = {JobStep::StopGuest, JobStep::DefineAndStart,
                                                 JobStep::Configure, JobStep::WaitHealthy};
    switch (kind) {
        case JobKind::Create:
            return create;
        case JobKind::Apply:
            return apply;
        case JobKind::ReplaceContent:
            return replace;
        case JobKind::Resize:
            return resize;
        case JobKind::Delete:
            return remove;
        case JobKind::Rollout:
            return rollout;
    }
    return create;
}

JobStep firstStep(JobKind kind) {
    return forwardSteps(kind).front();
}

std::optional<JobStep> nextStep(JobKind kind, JobStep step) {
    const auto& steps = forwardSteps(kind);
    const auto it = std::find(steps.begin(), steps.end(), step);
    if (it == steps.end() || it + 1 == steps.end()) {
        return std::nullopt;
    }
    return *(it + 1);
}

std::optional<JobStep> stepOfV12Number(JobKind kind, int number) {
    // Schema v12's numbering, frozen: it does not follow forwardSteps when steps change.
    static const std::vector<JobStep> create = {JobStep::EnsurePool,   JobStep::EnsureImage,
                                                JobStep::EnsureVolume, JobStep::Define,
                                                JobStep::Start,        JobStep::BecomeActive};
    static const std::vector<JobStep> replace = {JobStep::WriteVolume, JobStep::SwitchVolume,
                                                 JobStep::WaitHealthy, JobStep::CommitVolume,
                                                 JobStep::DeleteOldVolumes};
    static const std::vector<JobStep> resize = {JobStep::StopGuest, JobStep::GrowVolume,
                                                JobStep::DefineAndStart, JobStep::BecomeActive};
    const auto at = [number](const std::vector<JobStep>& steps) -> std::optional<JobStep> {
        if (number < 0 || number >= static_cast<int>(steps.size())) {
            return std::nullopt;
        }
        return steps[static_cast<std::size_t>(number)];
    };
    switch (kind) {
        case JobKind::Create:
            return at(create);
        case JobKind::Apply:
            return number == 0 ? std::optional<JobStep>(JobStep::ApplyState) : std::nullopt;
        case JobKind::ReplaceContent:
            return number == 100   ? std::optional<JobStep>(JobStep::UndoNewVolume)
                   : number == 101 ? std::optional<JobStep>(JobStep::UndoSwitch)
                                   : at(replace);
        case JobKind::Resize:
            return number == 100 ? std::optional<JobStep>(JobStep::UndoResize) : at(resize);
        case JobKind::Delete:
            return number == 0 ? std::optional<JobStep>(JobStep::Remove) : std::nullopt;
        case JobKind::Rollout:
            return std::nullopt;  // after v12
    }
    return std::nullopt;
}

}  // namespace chatiere::provisioning
