"""Generates extra.json: edge cases for kd-rl's Gymnasium ports that the shared
reference set does not cover. Run with gymnasium 1.4.0 and numpy 2.4.6:

    python make_extra.py > extra.json

- Trajectories made of segments (`reset(seed)` or `reset(None)`, then steps):
  non-representable float32 actions, actions outside the action space
  (Pendulum clips them; MountainCar's builtin min/max turns the force into a
  Python float), reset(None) continuing the generator, and multi-word seeds
  (2**32 + 5, 2**63 + 11, 2**64 - 1).
- SyncVectorEnv rollouts (NEXT_STEP and SAME_STEP autoreset) with short time
  limits that differ per sub-env, for the semantics of kd_rl::VecEnv.

float32 values are written as exact doubles (float(np.float32(x))), rewards as
Python floats (shortest round-trip repr).
"""

import json
import platform
import sys

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, SyncVectorEnv


def f32list(a):
    return [float(np.float32(x)) for x in np.asarray(a, dtype=np.float32).ravel()]


def trajectory(env_id, segments, action_fn, max_episode_steps=None):
    kwargs = {} if max_episode_steps is None else {"max_episode_steps": max_episode_steps}
    env = gym.make(env_id, **kwargs)
    out = {"env_id": env_id, "max_episode_steps": env.spec.max_episode_steps, "segments": []}
    for seed, n_steps in segments:
        obs, _ = env.reset(seed=seed)
        seg = {"reset_seed": seed, "reset_obs": f32list(obs), "steps": []}
        prev = obs
        for t in range(n_steps):
            a = np.asarray(action_fn(t, prev), dtype=np.float32)
            obs, r, term, trunc, _ = env.step(a)
            seg["steps"].append(
                {
                    "action": f32list(a),
                    "obs": f32list(obs),
                    "reward": float(r),
                    "terminated": bool(term),
                    "truncated": bool(trunc),
                }
            )
            prev = obs
            if term or trunc:
                break
        out["segments"].append(seg)
    return out


def vector(env_id, num_envs, max_episode_steps, mode, seed, n_steps, action_fn):
    fns = [lambda m=m: gym.make(env_id, max_episode_steps=m) for m in max_episode_steps]
    venv = SyncVectorEnv(fns, autoreset_mode=mode)
    obs, _ = venv.reset(seed=seed)
    out = {
        "env_id": env_id,
        "num_envs": num_envs,
        "max_episode_steps": list(max_episode_steps),
        "autoreset_mode": mode.value,
        "seed": seed,
        "reset_obs": f32list(obs),
        "steps": [],
    }
    for t in range(n_steps):
        a = np.asarray(action_fn(t), dtype=np.float32).reshape(num_envs, -1)
        obs, r, term, trunc, info = venv.step(a)
        final = [None] * num_envs
        if "final_obs" in info:
            for i in range(num_envs):
                if info["_final_obs"][i]:
                    final[i] = f32list(info["final_obs"][i])
        out["steps"].append(
            {
                "actions": f32list(a),
                "obs": f32list(obs),
                "rewards": [float(x) for x in r],
                "terminated": [bool(x) for x in term],
                "truncated": [bool(x) for x in trunc],
                "final_obs": final,
            }
        )
    return out


def main():
    rng = np.random.default_rng(12345)
    pend_actions = rng.uniform(-3.0, 3.0, size=400)
    car_actions = rng.uniform(-1.6, 1.6, size=400)

    def pend_random(t, prev):
        return [pend_actions[t % 400]]

    def car_random(t, prev):
        return [car_actions[t % 400]]

    def car_pump(amp):
        return lambda t, prev: [amp if prev[1] >= 0 else -amp]

    def pend_pump(amp):
        return lambda t, prev: [amp if prev[2] >= 0 else -amp]

    big = [2**32 + 5, 2**63 + 11, 2**64 - 1]
    trajectories = [
        trajectory("Pendulum-v1", [(3, 120), (None, 60), (None, 30), (3, 10)], pend_random),
        trajectory("Pendulum-v1", [(big[0], 40), (big[1], 40), (big[2], 40)], pend_pump(2.75)),
        trajectory("MountainCarContinuous-v0", [(5, 150), (None, 100), (big[2], 50)], car_random),
        trajectory("MountainCarContinuous-v0", [(7, 400)], car_pump(1.5)),
        trajectory("MountainCarContinuous-v0", [(11, 400), (None, 400)], car_pump(1.0)),
        trajectory("MountainCarContinuous-v0", [(big[1], 400)], car_pump(-1.25)),
    ]

    def vec_actions(n, dim, scale):
        def f(t):
            return [scale * np.sin(0.7 * t + 1.3 * i) for i in range(n * dim)]

        return f

    vectors = [
        vector("Pendulum-v1", 3, [3, 4, 6], AutoresetMode.NEXT_STEP, 21, 14, vec_actions(3, 1, 2.5)),
        vector("Pendulum-v1", 3, [3, 4, 6], AutoresetMode.SAME_STEP, 21, 14, vec_actions(3, 1, 2.5)),
        vector("MountainCarContinuous-v0", 2, [5, 2], AutoresetMode.NEXT_STEP, 0, 13, vec_actions(2, 1, 1.2)),
        vector("MountainCarContinuous-v0", 2, [5, 2], AutoresetMode.SAME_STEP, 0, 13, vec_actions(2, 1, 1.2)),
    ]
    json.dump(
        {
            "gymnasium_version": gym.__version__,
            "numpy_version": np.__version__,
            "python_version": platform.python_version(),
            "platform_machine": platform.machine(),
            "trajectories": trajectories,
            "vectors": vectors,
        },
        sys.stdout,
        indent=1,
    )
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
