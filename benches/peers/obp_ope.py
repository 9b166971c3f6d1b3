"""obp 0.5.7's estimators on an Open Bandit Dataset log, beside shoplens'
`bandit evaluate` (benches/bandit.rs runs this).

Usage: python obp_ope.py DATA_DIR POLICY N_BOOTSTRAP SMOOTHING
  DATA_DIR: the folder holding POLICY/all/all.csv (obp's OpenBanditDataset layout).
Evaluates the uniform random policy (1/80 per item and slot), with the
same reward model shoplens' DM and DR use (each item and slot's mean click,
plus SMOOTHING pseudo-rows at the overall mean), so the point estimates
must agree; intervals are bootstrapped by obp's own RNG. Prints
`key value` lines: estimates, seconds and peak memory.
"""
import resource
import sys
import time
from pathlib import Path

import numpy as np
from obp.dataset import OpenBanditDataset
from obp.ope import (
    DirectMethod,
    DoublyRobust,
    InverseProbabilityWeighting,
    OffPolicyEvaluation,
    SelfNormalizedInverseProbabilityWeighting,
)


def peak_rss_mb():
    try:  # VmHWM: on Linux ru_maxrss keeps the starting benchmark's peak across exec
        return int(open("/proc/self/status").read().split("VmHWM:")[1].split()[0]) / 1024
    except (OSError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


data_dir, policy, n_boot, smoothing = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
started = time.perf_counter()
obd = OpenBanditDataset(behavior_policy=policy, campaign="all", data_path=Path(data_dir))
feedback = obd.obtain_batch_bandit_feedback()
load_secs = time.perf_counter() - started

n, k = feedback["n_rounds"], feedback["n_actions"]
slots = int(feedback["position"].max()) + 1
action_dist = np.full((n, k, slots), 1.0 / k)
reward, action, position = feedback["reward"], feedback["action"], feedback["position"]
mean = reward.mean()
sums = np.zeros((k, slots))
counts = np.zeros((k, slots))
np.add.at(sums, (action, position), reward)
np.add.at(counts, (action, position), 1.0)
q = np.where(counts + smoothing > 0, (sums + smoothing * mean) / np.maximum(counts + smoothing, 1e-300), mean)
estimated = np.broadcast_to(q[None, :, :], (n, k, slots)).copy()

ope = OffPolicyEvaluation(
    bandit_feedback=feedback,
    ope_estimators=[
        InverseProbabilityWeighting(),
        SelfNormalizedInverseProbabilityWeighting(),
        DirectMethod(),
        DoublyRobust(),
    ],
)
t = time.perf_counter()
values = ope.estimate_policy_values(action_dist=action_dist, estimated_rewards_by_reg_model=estimated)
point_secs = time.perf_counter() - t
t = time.perf_counter()
intervals = ope.estimate_intervals(
    action_dist=action_dist,
    estimated_rewards_by_reg_model=estimated,
    n_bootstrap_samples=n_boot,
    random_state=1,
)
boot_secs = time.perf_counter() - t
print("rounds", n)
print("on_policy", reward.mean())
for name, key in [("ipw", "ipw"), ("snipw", "snipw"), ("dm", "dm"), ("dr", "dr")]:
    print(name, values[key])
    print(f"{name}_lo", intervals[key]["95.0% CI (lower)"])
    print(f"{name}_hi", intervals[key]["95.0% CI (upper)"])
print("load_secs", load_secs)
print("point_secs", point_secs)
print("bootstrap_secs", boot_secs)
print("peak_mb", peak_rss_mb())
