#!/usr/bin/env bash
# Provision the inalab VM (Ubuntu 22.04, as root): the real P4 toolchain from
# the p4lang packages on the openSUSE Build Service (p4c, bmv2 with
# simple_switch_grpc, PI), Mininet, tc netem, and this project's Python
# environment. Safe to run again (`vagrant provision`).
set -euo pipefail

PROJECT=/home/vagrant/inalab
P4LANG_REPO="https://download.opensuse.org/repositories/home:/p4lang/xUbuntu_22.04"
export DEBIAN_FRONTEND=noninteractive

log() { echo "inalab-provision: $*"; }

. /etc/os-release
if [ "${VERSION_ID}" != "22.04" ]; then
    log "warning: written for Ubuntu 22.04, this is ${PRETTY_NAME}"
fi

log "system packages"
apt-get update -qq
apt-get install -y -qq \
    ca-certificates curl gnupg make git \
    python3.11 python3.11-venv python3-pip python3-yaml \
    mininet bridge-utils iproute2 iputils-ping ethtool tcpdump \
    >/dev/null

# tc netem: part of linux-modules on generic kernels, of linux-modules-extra
# on some cloud kernels. inalab uses it for link delay/loss when present
# (bmv2 cannot impair links, our switch can).
apt-get install -y -qq "linux-modules-extra-$(uname -r)" >/dev/null 2>&1 || true
modprobe sch_netem 2>/dev/null || log "warning: no sch_netem module; impaired links need SWITCH=inalab"
echo sch_netem > /etc/modules-load.d/inalab-netem.conf

log "p4lang packages (p4c, bmv2, PI) from the openSUSE Build Service"
install -d -m 0755 /etc/apt/keyrings
curl -fsSL "${P4LANG_REPO}/Release.key" | gpg --dearmor --yes -o /etc/apt/keyrings/p4lang.gpg
echo "deb [signed-by=/etc/apt/keyrings/p4lang.gpg] ${P4LANG_REPO}/ /" \
    > /etc/apt/sources.list.d/p4lang.list
apt-get update -qq
apt-get install -y -qq p4lang-pi p4lang-bmv2 p4lang-p4c >/dev/null

for tool in p4c-bm2-ss simple_switch_grpc simple_switch_CLI mn; do
    command -v "$tool" >/dev/null || { log "error: $tool is missing after installation"; exit 1; }
done
log "$(p4c-bm2-ss --version 2>&1 | head -n1)"
log "simple_switch_grpc $(simple_switch_grpc --version 2>&1 | head -n1)"

log "project environment in ${PROJECT}/.venv"
if [ ! -d "${PROJECT}" ]; then
    log "error: ${PROJECT} is not there (the Vagrantfile syncs the repository to it)"
    exit 1
fi
cd "${PROJECT}"
# The project needs Python >= 3.11; Ubuntu 22.04's python3 is 3.10. Create the
# venv from python3.11 (it still sees Ubuntu's Mininet module through
# --system-site-packages); scripts/setup-env.sh then installs the project.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; assert sys.version_info >= (3, 11)' 2>/dev/null; then
    rm -rf .venv
    python3.11 -m venv --system-site-packages .venv
fi
scripts/setup-env.sh
chown -R vagrant:vagrant "${PROJECT}"

# Use the real toolchain by default inside the VM, also under sudo.
cat > /etc/profile.d/inalab.sh <<'PROFILE'
# inalab: use the real p4c and bmv2 in this VM (unset to use inalab's own).
export SWITCH=bmv2
export P4C=p4c-bm2-ss
PROFILE
echo 'Defaults env_keep += "SWITCH P4C"' > /etc/sudoers.d/inalab
chmod 0440 /etc/sudoers.d/inalab

log "done: vagrant ssh, then cd ~/inalab && sudo make run"
