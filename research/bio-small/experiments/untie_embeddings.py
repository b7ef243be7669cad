"""Copies a HuggingFace Llama folder with tied embeddings into one with a separate output layer.

    python3 untie_embeddings.py SOURCE_DIR TARGET_DIR

lm_head.weight becomes a copy of model.embed_tokens.weight and config.json says tie_word_embeddings: false,
so the model computes exactly the same logits until training moves the two apart (the "untied" row of the
model card's diagnosis). Standard library only; the tensors are copied byte for byte, whatever their dtype.
"""
import json, os, shutil, struct, sys

if len(sys.argv) != 3:
    sys.exit(__doc__)
source, target = sys.argv[1], sys.argv[2]
os.makedirs(target, exist_ok=True)
for name in os.listdir(source):
    if name not in ("model.safetensors", "config.json") and os.path.isfile(os.path.join(source, name)):
        shutil.copy(os.path.join(source, name), target)
config = json.load(open(os.path.join(source, "config.json")))
config["tie_word_embeddings"] = False
json.dump(config, open(os.path.join(target, "config.json"), "w"), indent=2)

blob = open(os.path.join(source, "model.safetensors"), "rb").read()
header_length = struct.unpack("<Q", blob[:8])[0]
header = json.loads(blob[8:8 + header_length])
data = blob[8 + header_length:]
metadata = header.pop("__metadata__", None)
if "lm_head.weight" in header:
    sys.exit("The source already has lm_head.weight: its embeddings are not tied.")
tensors = [(name, entry, data[entry["data_offsets"][0]:entry["data_offsets"][1]]) for name, entry in header.items()]
embeddings = header["model.embed_tokens.weight"]
tensors.append(("lm_head.weight", embeddings, data[embeddings["data_offsets"][0]:embeddings["data_offsets"][1]]))
out_header, out_data = ({"__metadata__": metadata} if metadata else {}), bytearray()
for name, entry, raw in tensors:
    out_header[name] = {"dtype": entry["dtype"], "shape": entry["shape"], "data_offsets": [len(out_data), len(out_data) + len(raw)]}
    out_data += raw
encoded = json.dumps(out_header).encode()
encoded += b" " * (-len(encoded) % 8)
with open(os.path.join(target, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(encoded)) + encoded + out_data)
