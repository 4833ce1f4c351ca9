#!/usr/bin/env bash
# Train with nanotron on one node: torchrun, one process per GPU, our launcher.
#
#   bash trainers/nanotron/train_one_node.sh CONFIG.yaml [GPUS]     # from the repository root, in the environment.sh venv
#
# GPUS must equal the config's data-parallel size (make_config.py --gpus).
set -euo pipefail
CONFIG=${1:?usage: train_one_node.sh CONFIG.yaml [GPUS]}
GPUS=${2:-8}
export CUDA_DEVICE_MAX_CONNECTIONS=1   # nanotron's tensor-parallel overlap needs it; harmless otherwise
exec torchrun --standalone --nproc_per_node="$GPUS" "$(dirname "$0")/launch.py" --config-file "$CONFIG"
