"""Compares the first training losses of a run (metrics.jsonl) with the CPU reference run of the same command.

Both runs compute in float32 from the same saved weights, data order and seed, so they differ only by the order
of floating-point reductions. Step 1 is one forward pass on identical weights: relative difference under 1e-4.
Later steps follow AdamW updates whose m/sqrt(v) can round differently where gradients are tiny, so they may
drift a little more: under 5e-3. Exits 1 on a larger difference or a missing step.
"""
import json
import sys

FIRST_STEP_TOLERANCE = 1e-4
LATER_STEP_TOLERANCE = 5e-3


def losses(path):
    with open(path, encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return {row["step"]: row["loss"] for row in rows}


def main(reference_path, run_path):
    reference, run = losses(reference_path), losses(run_path)
    ok = True
    print(f"{'step':>4}  {'cpu reference':>14}  {'this run':>14}  {'relative diff':>13}  limit")
    for step in sorted(reference):
        limit = FIRST_STEP_TOLERANCE if step == min(reference) else LATER_STEP_TOLERANCE
        if step not in run:
            print(f"{step:>4}  {reference[step]:>14.6f}  {'missing':>14}")
            ok = False
            continue
        diff = abs(run[step] - reference[step]) / abs(reference[step])
        ok &= diff <= limit
        print(f"{step:>4}  {reference[step]:>14.6f}  {run[step]:>14.6f}  {diff:>13.2e}  {limit:.0e}{'' if diff <= limit else '  EXCEEDED'}")
    print("losses match the CPU run" if ok else "losses DIFFER from the CPU run")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2]))
