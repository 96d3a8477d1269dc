#!/usr/bin/env bash
# Checks the public contract with buf: `protos/buf.sh lint` (STANDARD, see buf.yaml) and `protos/buf.sh breaking`
# (against the published contract: the protos of the commit named in protos/BREAKING_BASELINE).
#
# buf cannot fetch google/type and google/rpc from the Buf Schema Registry here (no network beyond the package
# registries), so this compiles images with the protoc of the Grpc.Tools package and the protos of the
# Google.Api.CommonProtos package, the same files the C# build compiles against, and gives buf the images.
# buf itself comes from npm (@bufbuild/buf) into a cache folder outside the repository.
set -euo pipefail
cd "$(dirname "$0")"
protos=$PWD
repo=$(cd .. && pwd)

buf_version=1.75.0
cache=${SALESOPS_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/salesops-tools}
buf=$cache/buf-$buf_version/node_modules/.bin/buf
if [ ! -x "$buf" ]; then
  command -v npm >/dev/null 2>&1 || { echo "npm is needed to install buf (@bufbuild/buf)" >&2; exit 2; }
  mkdir -p "$cache/buf-$buf_version"
  npm install --silent --no-audit --no-fund --prefix "$cache/buf-$buf_version" "@bufbuild/buf@$buf_version" >&2
fi

# The package versions the build uses (Directory.Packages.props), restored by the contract project.
props=$repo/Directory.Packages.props
grpc_version=$(sed -n 's:.*<GrpcVersion>\(.*\)</GrpcVersion>.*:\1:p' "$props")
common_version=$(sed -n 's:.*Include="Google.Api.CommonProtos" Version="\([^"]*\)".*:\1:p' "$props")
packages=$(dotnet nuget locals global-packages -l | sed 's/^global-packages: *//')
tools=$packages/grpc.tools/$grpc_version
common=$packages/google.api.commonprotos/$common_version
if [ ! -d "$tools" ] || [ ! -d "$common" ]; then
  dotnet restore "$repo/src/SalesOps.Contracts/SalesOps.Contracts.csproj" >&2
fi
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "no protoc in Grpc.Tools for $(uname -m)" >&2; exit 2 ;;
esac
protoc=$tools/tools/linux_$arch/protoc
chmod +x "$protoc" 2>/dev/null || true

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# image <proto root> <output>: every salesops proto under the root, with source info (for comment rules).
image() {
  (cd "$1" && find salesops -name '*.proto' | sort | xargs "$protoc" --include_imports --include_source_info \
    -I . -I "$common/content/protos" -I "$tools/build/native/include" -o "$2")
}

image "$protos" "$work/current.binpb"
case "${1:-}" in
  lint)
    "$buf" lint "$work/current.binpb" --path salesops
    echo "buf lint: clean"
    ;;
  breaking)
    baseline=$(tr -d '[:space:]' <BREAKING_BASELINE)
    if ! git -C "$repo" cat-file -e "$baseline^{commit}" 2>/dev/null; then
      echo "protos/BREAKING_BASELINE names $baseline, which is not a commit of this clone (a shallow clone? fetch the history)" >&2
      exit 2
    fi
    mkdir -p "$work/baseline"
    git -C "$repo" archive "$baseline" protos | tar -x -C "$work/baseline"
    image "$work/baseline/protos" "$work/baseline.binpb"
    "$buf" breaking "$work/current.binpb" --against "$work/baseline.binpb" --path salesops
    echo "buf breaking: no breaking change against $baseline"
    ;;
  *)
    echo "usage: protos/buf.sh lint|breaking" >&2
    exit 2
    ;;
esac
