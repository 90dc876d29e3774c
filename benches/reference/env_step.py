# Reference side of `kdbench bench env-step`: Gymnasium's own environment (gymnasium.make, so with
# its TimeLimit and checker wrappers, as users step it) through the same action sequence.
import gymnasium
import numpy as np

env = gymnasium.make(CONFIG["env"])
actions = [np.array(a, dtype=np.float32) for a in CONFIG["actions"]]


def run():
    env.reset(seed=0)
    n = len(actions)
    for t in range(CONFIG["steps"]):
        _, _, terminated, truncated, _ = env.step(actions[t % n])
        if terminated or truncated:
            env.reset()


serve(run, f"Gymnasium {gymnasium.__version__}", warmup=run)
