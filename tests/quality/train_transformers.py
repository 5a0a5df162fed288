#!/usr/bin/env python3
"""Stage 1 of DeeBERT (the reference's fine-tuning of the final head) in PyTorch + transformers, from the same
initial weights, rows and sequence length as `deebert train`, to compare final-head dev accuracy.

    python3 tests/quality/train_transformers.py --model BASE_DIR --train train.jsonl --dev dev.jsonl \
        --label-col label --max-seq-len 64 --seed 1 [--epochs 1 --batch-size 8 --lr 2e-5 --threads 2]

BASE_DIR is a DeeBERT model directory (what `deebert import` writes: config.json, model.safetensors with
bert.* / roberta.* names and the top-level classifier, tokenizer.json). Recipe as the reference and as our
trainer: AdamW (eps 1e-8, weight decay 0), no warm-up, linear decay to 0, gradient-norm clip 1.0, dropout
from the config, cross-entropy of the final head (the model's pooler + classifier). Labels are indexed as
`deebert train` indexes them (sorted). Prints one JSON object: dev accuracy, macro-F1, seconds.
"""

import argparse
import json
import time

import torch
from safetensors.torch import load_file
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel, RobertaConfig, RobertaModel


def read_jsonl(path, label_col):
    rows = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
    return [(r["text"], str(r[label_col])) for r in rows]


def load(model_dir):
    config = json.load(open(f"{model_dir}/config.json"))
    model_type = config["model_type"]
    hf_config = (BertConfig if model_type == "bert" else RobertaConfig)(**config)
    hf_config._attn_implementation = "eager"
    model = (BertModel if model_type == "bert" else RobertaModel)(hf_config, add_pooling_layer=True)
    weights = load_file(f"{model_dir}/model.safetensors")
    prefix = model_type + "."
    loaded = model.load_state_dict({k[len(prefix):]: v for k, v in weights.items()
                                    if k.startswith(prefix) and ".highway." not in k}, strict=False)
    assert not loaded.unexpected_keys and all(k.endswith("_ids") for k in loaded.missing_keys), loaded
    classifier = torch.nn.Linear(config["hidden_size"], weights["classifier.weight"].shape[0])
    classifier.load_state_dict({"weight": weights["classifier.weight"], "bias": weights["classifier.bias"]})
    dropout = torch.nn.Dropout(config["hidden_dropout_prob"])
    return model, classifier, dropout


def batches(tokenizer, rows, labels, order, batch_size, pad_id):
    for start in range(0, len(order), batch_size):
        chosen = [rows[i] for i in order[start:start + batch_size]]
        encoded = tokenizer.encode_batch([text for text, _ in chosen])
        width = max(len(e.ids) for e in encoded)
        ids = torch.tensor([e.ids + [pad_id] * (width - len(e.ids)) for e in encoded])
        mask = torch.tensor([[1] * len(e.ids) + [0] * (width - len(e.ids)) for e in encoded])
        yield ids, mask, torch.tensor([labels.index(label) for _, label in chosen])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--train", required=True)
    parser.add_argument("--dev", required=True)
    parser.add_argument("--label-col", default="label")
    parser.add_argument("--max-seq-len", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=2e-5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train, dev = read_jsonl(args.train, args.label_col), read_jsonl(args.dev, args.label_col)
    labels = sorted({label for _, label in train})
    tokenizer = Tokenizer.from_file(f"{args.model}/tokenizer.json")
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=args.max_seq_len)
    pad_id = json.load(open(f"{args.model}/config.json")).get("pad_token_id") or 0
    model, classifier, dropout = load(args.model)
    assert classifier.out_features == len(labels), "import the backbone with as many labels as the data has"

    parameters = list(model.parameters()) + list(classifier.parameters())
    optimizer = torch.optim.AdamW(parameters, lr=args.lr, eps=1e-8, weight_decay=0.0)
    steps = args.epochs * ((len(train) + args.batch_size - 1) // args.batch_size)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda done: (steps - done) / steps)
    generator = torch.Generator().manual_seed(args.seed)
    start = time.time()
    for module in (model, classifier, dropout):
        module.train()
    for _ in range(args.epochs):
        order = torch.randperm(len(train), generator=generator).tolist()
        for ids, mask, target in batches(tokenizer, train, labels, order, args.batch_size, pad_id):
            pooled = model(input_ids=ids, attention_mask=mask).pooler_output
            loss = torch.nn.functional.cross_entropy(classifier(dropout(pooled)), target)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(parameters, 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
    seconds = time.time() - start

    for module in (model, classifier, dropout):
        module.eval()
    predicted, actual = [], []
    with torch.no_grad():
        for ids, mask, target in batches(tokenizer, dev, labels, list(range(len(dev))), 32, pad_id):
            predicted += classifier(model(input_ids=ids, attention_mask=mask).pooler_output).argmax(-1).tolist()
            actual += target.tolist()
    accuracy = sum(p == a for p, a in zip(predicted, actual)) / len(actual)
    f1s = []
    for c in range(len(labels)):
        tp = sum(p == c and a == c for p, a in zip(predicted, actual))
        fp = sum(p == c and a != c for p, a in zip(predicted, actual))
        fn = sum(p != c and a == c for p, a in zip(predicted, actual))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else 0.0)
    print(json.dumps({"seed": args.seed, "labels": labels, "train_rows": len(train), "dev_rows": len(dev),
                      "steps": steps, "dev_accuracy": accuracy, "dev_macro_f1": sum(f1s) / len(f1s),
                      "seconds": round(seconds, 1), "torch": torch.__version__}))


if __name__ == "__main__":
    main()
