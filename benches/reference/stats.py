# Reference side of `kdbench bench stats`: rliable's stratified-bootstrap CI of the IQM (its
# get_interval_estimates, the percentile interval kd-stats follows) for each method's
# runs x tasks score matrix. One unit is one method's CI.
import numpy as np
import rliable
from rliable import library as rly
from rliable import metrics

scores = {name: np.array(m, dtype=np.float64) for name, m in CONFIG["scores"].items()}


def iqm(x):
    return np.array([metrics.aggregate_iqm(x)])


def run():
    rly.get_interval_estimates(scores, iqm, reps=CONFIG["reps"])


serve(run, f"rliable {getattr(rliable, '__version__', '1.2.0')} / NumPy {np.__version__}")
