"""Memory of a Hugging Face model's forward+backward, unpatched and patched by
torchact.integrations.transformers: the bytes autograd saves for the backward (distinct storages)
and the peak of the CPU memory held during forward+backward (the profiler's allocation records).

    PYTHONPATH=<installed torchact> python benchmarks/hf_memory.py      (needs transformers)

The models are small random Llama, Gemma and Mixtral configs (no download), float32 on the CPU.
"""
import copy

import torch
import transformers
from torch.profiler import ProfilerActivity, profile

import torchact.integrations.transformers as tt

LLAMA = dict(vocab_size=1024, hidden_size=512, intermediate_size=1408, num_hidden_layers=4,
             num_attention_heads=8, num_key_value_heads=8)
MODELS = {
    "Llama": lambda: transformers.LlamaForCausalLM(transformers.LlamaConfig(**LLAMA)),
    "Gemma": lambda: transformers.GemmaForCausalLM(transformers.GemmaConfig(**LLAMA, head_dim=64)),
    "Mixtral": lambda: transformers.MixtralForCausalLM(transformers.MixtralConfig(
        **LLAMA, num_local_experts=4, num_experts_per_tok=2)),
}
BATCH, SEQUENCE = 4, 512


def saved_bytes(model, ids):
    """Bytes of the distinct storages autograd keeps for the backward of one forward."""
    storages = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        storages[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(ids, labels=ids).loss
    del loss
    return sum(storages.values())


def peak_bytes(model, ids):
    """The most CPU memory held at once during forward and backward."""
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        model(ids, labels=ids).loss.backward()
    records = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    live = peak = 0
    for e in sorted(records, key=lambda e: e.start_ns()):
        live += e.nbytes()
        peak = max(peak, live)
    return peak


def main():
    torch.manual_seed(0)
    ids = torch.randint(0, LLAMA["vocab_size"], (BATCH, SEQUENCE))
    print(f"transformers {transformers.__version__}, torch {torch.__version__}; batch {BATCH} x "
          f"{SEQUENCE} tokens, hidden {LLAMA['hidden_size']}, intermediate "
          f"{LLAMA['intermediate_size']}, {LLAMA['num_hidden_layers']} layers, float32, CPU")
    print("| model | patched as | saved for backward: unpatched | patched | peak fwd+bwd: "
          "unpatched | patched |")
    print("|---|---|---|---|---|---|")
    mib = 2 ** 20
    for name, build in MODELS.items():
        model = build().eval()
        patched = copy.deepcopy(model)
        report = tt.apply(patched, activations=False)
        saved = saved_bytes(model, ids), saved_bytes(patched, ids)
        peak = peak_bytes(model, ids), peak_bytes(patched, ids)
        print(f"| {name} | {report} | {saved[0] / mib:.0f} MiB | {saved[1] / mib:.0f} MiB "
              f"({saved[1] / saved[0] - 1:+.0%}) | {peak[0] / mib:.0f} MiB | {peak[1] / mib:.0f} MiB "
              f"({peak[1] / peak[0] - 1:+.0%}) |")


if __name__ == "__main__":
    main()
