#!/usr/bin/env bash
# Build the GPU training environment for trainers/nanotron: nanotron from source at the pinned commit,
# its numpy<2 pin overridden, flash-attn, grouped_gemm, and this project (the trainers import it).
#
#   bash trainers/nanotron/environment.sh [ENV_DIR]        # run from the repository root on a CUDA machine
#
# Needs a CUDA 12 driver, git, g++, make and network access to PyPI, the PyTorch wheel index and GitHub.
# Not run in this project's CI (no GPU); every pin below is what nanotron's sources at the commit ask for.
set -euo pipefail

NANOTRON_COMMIT=2411b022a75fb7f7561a1bb4166706da5e1b76de
ENV_DIR=${1:-.venv-nanotron}
NANOTRON_SRC=${NANOTRON_SRC:-$ENV_DIR/src/nanotron}
TORCH_VERSION=${TORCH_VERSION:-2.4.1}            # flash-attn 2.6.3 (nanotron's range: >=2.5,<2.7) ships wheels for it
TORCH_INDEX=${TORCH_INDEX:-https://download.pytorch.org/whl/cu124}
FLASH_ATTN_VERSION=${FLASH_ATTN_VERSION:-2.6.3}

python3 -m venv "$ENV_DIR"
. "$ENV_DIR/bin/activate"
python -m pip install --upgrade pip wheel setuptools packaging ninja
python -m pip install "torch==$TORCH_VERSION" --index-url "$TORCH_INDEX"

# nanotron from source: PyPI's nanotron 0.4 is the 2024 line and does not import, and only an editable
# install keeps the C++ blending helper (helpers.cpp and its Makefile) nanotron compiles at run time.
if [ ! -d "$NANOTRON_SRC/.git" ]; then
    git clone https://github.com/huggingface/nanotron "$NANOTRON_SRC"
fi
git -C "$NANOTRON_SRC" fetch --quiet origin "$NANOTRON_COMMIT" || true
git -C "$NANOTRON_SRC" checkout --quiet "$NANOTRON_COMMIT"
# Its pyproject pins numpy<2, which no datatrove since 0.4 accepts: install it without its dependencies,
# then those dependencies (plus the ones it imports without declaring) with numpy 2.
python -m pip install --no-deps -e "$NANOTRON_SRC"
python -m pip install "numpy>=2" pyyaml packaging safetensors dacite tqdm datasets torchtyping einops psutil pybind11
python -m pip install --no-build-isolation "flash-attn==$FLASH_ATTN_VERSION"
python -m pip install --no-build-isolation "grouped_gemm==0.3.0"   # nanotron.trainer imports it even for a dense Llama

# This project, for the trainers (token reader, mix adapter, schema mirror, launcher).
python -m pip install -e ".[semantic]"

python - <<'PY'
import flash_attn, nanotron, numpy, torch
from nanotron.config import get_config_from_file  # imports flash-attn and triton
from nanotron.trainer import DistributedTrainer  # imports grouped_gemm
assert torch.cuda.is_available(), "no CUDA device visible"
print(f"nanotron environment ready: torch {torch.__version__}, flash-attn {flash_attn.__version__}, numpy {numpy.__version__}, "
      f"{torch.cuda.device_count()} GPU(s)")
PY
