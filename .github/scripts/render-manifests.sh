#!/usr/bin/env bash
# Renders every kubectl overlay for a release, pointed at the image the release published: one file
# per directory of deploy/kubectl/overlays, realtime-svg-OVERLAY.yaml in OUT_DIR.
#
#   .github/scripts/render-manifests.sh IMAGE VERSION OUT_DIR
#   e.g. .github/scripts/render-manifests.sh ghcr.io/owner/realtime-svg 0.2.0 dist/manifests
#
# Needs only kubectl (its built-in kustomize). Instead of `kustomize edit set image`, which needs
# the separate kustomize binary and edits the checkout, each overlay is wrapped in a throwaway
# kustomization whose `images:` entry renames the project's image; overlays that already name
# another image (overlays/custom, an example of your own registry) keep it.
# test/deploy/workflows.test.ts runs this script.
set -euo pipefail

if (($# != 3)); then
  echo "usage: $0 IMAGE VERSION OUT_DIR" >&2
  exit 2
fi
image=$1 version=$2 out=$3
# The name every overlay's base gives the server's image (deploy/kubectl/base/kustomization.yaml).
upstream=ghcr.io/realtime-svg/realtime-svg

root="$(cd "$(dirname "$0")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

count=0
for overlay in "$root"/deploy/kubectl/overlays/*/; do
  name="$(basename "$overlay")"
  mkdir "$work/$name"
  # kustomize takes only relative paths to other kustomizations.
  cat >"$work/$name/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$work/$name" "$overlay")
images:
  - name: $upstream
    newName: $image
    newTag: "$version"
YAML
  kubectl kustomize "$work/$name" >"$out/realtime-svg-$name.yaml"
  count=$((count + 1))
done

if ((count == 0)); then
  echo "no overlays under $root/deploy/kubectl/overlays" >&2
  exit 1
fi
# The default overlay is the project's own image: it must now be the published one.
if ! grep -Fq "image: $image:$version" "$out/realtime-svg-default.yaml"; then
  echo "realtime-svg-default.yaml does not run $image:$version" >&2
  exit 1
fi
echo "rendered $count overlays into $out"
