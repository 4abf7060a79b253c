# Optuna's TPE and random search on Branin and Hartmann6 (the same functions and bounds as
# benchmarks/controllers.ts): median simple regret over seeds at 25/50/100 trials, as JSON.
# Usage: python3 benchmarks/controllers_optuna.py PROBLEM SAMPLERS SEEDS TRIALS
import json
import math
import statistics
import sys
import time

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)


def branin(x1, x2):
    b = 5.1 / (4 * math.pi ** 2)
    c = 5 / math.pi
    t = 1 / (8 * math.pi)
    return (x2 - b * x1 ** 2 + c * x1 - 6) ** 2 + 10 * (1 - t) * math.cos(x1) + 10


HA = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
HP = [[v * 1e-4 for v in row] for row in [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
                                          [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]]
HALPHA = [1.0, 1.2, 3.0, 3.2]


def hartmann6(x):
    return -sum(a * math.exp(-sum(HA[i][j] * (x[j] - HP[i][j]) ** 2 for j in range(6))) for i, a in enumerate(HALPHA))


def objective(problem):
    if problem == "branin":
        return (lambda t: branin(t.suggest_float("x1", -5, 10), t.suggest_float("x2", 0, 15))), 0.397887
    return (lambda t: hartmann6([t.suggest_float(f"x{i}", 0, 1) for i in range(6)])), -3.32237


def sampler(name, seed):
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if name == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    raise ValueError(name)


def quantile(xs, q):
    s = sorted(xs)
    pos = (len(s) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


def main():
    problem, names, seeds, n = sys.argv[1], sys.argv[2].split(","), int(sys.argv[3]), int(sys.argv[4])
    f, opt = objective(problem)
    checkpoints = [c for c in (25, 50, 100) if c <= n]
    results = {}
    for name in names:
        t0 = time.time()
        regrets = {c: [] for c in checkpoints}
        for seed in range(seeds):
            study = optuna.create_study(sampler=sampler(name, seed))
            study.optimize(f, n_trials=n)
            best = math.inf
            running = []
            for tr in study.trials:
                best = min(best, tr.value)
                running.append(best)
            for c in checkpoints:
                regrets[c].append(running[c - 1] - opt)
        results[name] = {str(c): {"median": statistics.median(v), "q25": quantile(v, 0.25), "q75": quantile(v, 0.75)}
                         for c, v in regrets.items()}
        results[name]["sec"] = round(time.time() - t0, 1)
    print(json.dumps({"problem": problem, "seeds": seeds, "N": n, "optuna": optuna.__version__, "results": results}))


main()
