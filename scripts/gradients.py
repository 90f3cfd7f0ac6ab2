"""How much does each half of the joint loss move the encoder? For a checkpoint of the full objective, the norm of
the gradient of the reconstruction loss and of the contrastive loss with respect to each encoder part (tokeniser,
each block, final norm), and the cosine between the two, averaged over a few fixed batches of the training cache.
Both terms are taken from one `pretrain_loss` call per batch (same views, same masks), so they are comparable.

    python scripts/gradients.py --checkpoint results/runs/core_ecg/last.pt --data data/ptbxl100 --batches 4 --out results/gradients.csv
"""
import argparse
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from core_ecg.cache import open_cache
from core_ecg.checkpoint import from_checkpoint
from core_ecg.loss import pretrain_loss


def encoder_parts(model) -> dict:
    "Encoder parameter lists by part: tokeniser (patch + lead embeddings, cls), block k, final norm."
    parts = {"tokeniser": [*model.patch_embed.parameters(), model.lead_embed, model.cls_token]}
    parts.update({f"block{k}": list(b.parameters()) for k, b in enumerate(model.blocks)})
    parts["norm"] = list(model.norm.parameters())
    return parts


def part_gradients(model, loss: torch.Tensor, parts: dict) -> dict:
    "{part: flat gradient of `loss`} (zeros where the loss does not reach)."
    params = [p for ps in parts.values() for p in ps]
    grads = torch.autograd.grad(loss, params, retain_graph=True, allow_unused=True)
    flat, i = {}, 0
    for name, ps in parts.items():
        g = [torch.zeros_like(p) if gr is None else gr for p, gr in zip(ps, grads[i:i + len(ps)])]
        flat[name], i = torch.cat([t.flatten() for t in g]), i + len(ps)
    return flat


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--checkpoint", type=Path, required=True)
    ap.add_argument("--data", type=Path, default=Path("data/ptbxl100"))
    ap.add_argument("--batches", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--out", type=Path, default=Path("results/gradients.csv"))
    a = ap.parse_args()
    model = from_checkpoint(a.checkpoint).train()
    cache, cfg = open_cache(a.data), model.cfg
    idx = np.random.default_rng(0).permutation(cache.split_indices("train"))
    parts, rows = encoder_parts(model), []
    for b in range(a.batches):
        x = torch.from_numpy(np.asarray(cache.signals[np.sort(idx[b * a.batch_size:(b + 1) * a.batch_size])], np.float32))
        out = pretrain_loss(model, x, generator=torch.Generator().manual_seed(b))
        g_rec = part_gradients(model, cfg.w_rec * out["rec"], parts)
        g_con = part_gradients(model, cfg.w_con * out["con"], parts)
        for name in parts:
            r, c = g_rec[name], g_con[name]
            cos = float(r @ c / (r.norm() * c.norm())) if r.norm() > 0 and c.norm() > 0 else float("nan")
            rows.append(dict(batch=b, part=name, rec_norm=float(r.norm()), con_norm=float(c.norm()), cosine=cos,
                             rec=float(out["rec"]), con=float(out["con"])))
    df = pd.DataFrame(rows)
    summary = df.groupby("part", sort=False)[["rec_norm", "con_norm", "cosine"]].mean()
    summary["con/rec"] = summary.con_norm / summary.rec_norm
    a.out.parent.mkdir(parents=True, exist_ok=True)
    summary.to_csv(a.out, float_format="%.5g")
    print(f"{a.checkpoint}: rec {df.rec.mean():.3f}, con {df.con.mean():.3f} (w_rec {cfg.w_rec}, w_con {cfg.w_con})")
    print(summary.to_string(float_format=lambda v: f"{v:.4g}"))


if __name__ == "__main__":
    main()
