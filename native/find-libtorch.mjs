// Finds libtorch for the addon build, in the order the README documents:
//   1. $LIBTORCH (a libtorch folder with include/ and lib/),
//   2. the libtorch inside an installed Python `torch` package,
//   3. the system (Debian/Ubuntu `libtorch-dev`: /usr/include/torch, libtorch.so).
// and the headers libtorch's distributed part includes but a torch wheel lacks: Gloo's, and with a
// CUDA libtorch NCCL's and CUDA's.
// Prints JSON {include:[], lib, cuda, cudaBuild, gloo, nccl, ncclMissing, cxx11Abi, std, source} or exits 1
// with one line (naming the three ways when no libtorch is found).
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const SYSTEM_LIB_DIRS = ["/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib"];
const SYSTEM_INCLUDE_DIRS = ["/usr/include", "/usr/local/include"];
const PYTHONS = ["python3", "/usr/bin/python3", "python"];
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const GLOO_PROBE = "gloo/algorithm.h";

export const NOT_FOUND =
  "dime: libtorch not found. Set LIBTORCH to a libtorch folder, or install Python torch (pip install torch), " +
  "or install the system package (sudo apt-get install libtorch-dev).";

export const GLOO_NOT_FOUND =
  "dime: Gloo's headers (gloo/algorithm.h, included by libtorch's ProcessGroupGloo.hpp) not found: install libgloo-dev, " +
  "or set DIME_GLOO_INCLUDE to a folder holding gloo/ (scripts/bundle.sh and scripts/device-pack.sh carry one as gloo-headers/).";

function layout(includeRoot, libDir, source) {
  const api = join(includeRoot, "torch/csrc/api/include");
  if (!existsSync(join(includeRoot, "ATen/ATen.h")) || !existsSync(api)) return null;
  if (!existsSync(join(libDir, "libtorch.so")) && !existsSync(join(libDir, "libtorch.dylib"))) return null;
  const cudaBuild = existsSync(join(libDir, "libtorch_cuda.so"));
  // DIME_CPU_ONLY=1 links only the CPU libraries of a CUDA libtorch: the wheel's libtorch then
  // loads on a machine without the CUDA libraries (cuBLAS, cuDNN, NCCL) that libtorch_cuda needs.
  const cuda = cudaBuild && process.env.DIME_CPU_ONLY !== "1";
  return {
    include: [includeRoot, api],
    lib: libDir,
    cuda,
    cudaBuild,
    cxx11Abi: usesCxx11Abi(libDir),
    std: cxxStandard(includeRoot),
    source,
  };
}

// libtorch 2.10 and later refuse anything older than C++20 (ATen.h says so with an #error);
// older ones are built and tested as C++17, which is what the addon used before.
function cxxStandard(includeRoot) {
  try {
    return readFileSync(join(includeRoot, "ATen/ATen.h"), "utf8").includes("202002L") ? "c++20" : "c++17";
  } catch {
    return "c++17";
  }
}

// libtorch is built with either the old or the new libstdc++ string ABI; the addon must match.
function usesCxx11Abi(libDir) {
  try {
    return readFileSync(join(libDir, "libc10.so")).includes("St7__cxx11");
  } catch {
    return true;
  }
}

function linkFlags(found) {
  // libtorch.so itself needs libtorch_cuda in a CUDA build; a CPU-only link leaves both out.
  const libs = found.cuda || !found.cudaBuild ? ["-ltorch", "-ltorch_cpu", "-lc10"] : ["-ltorch_cpu", "-lc10"];
  // CUDA kernels register themselves when libtorch_cuda loads; keep it linked even though no
  // symbol of it is referenced directly.
  const cuda = found.cuda ? ["-Wl,--no-as-needed", "-ltorch_cuda", "-lc10_cuda", "-Wl,--as-needed"] : [];
  return [`-L${found.lib}`, `-Wl,-rpath,${found.lib}`, ...cuda, ...libs].join(" ");
}

function fromEnv(given) {
  if (!given) return null;
  // The real folder: the rpath and the build's command line name it, whatever link led there.
  const root = existsSync(given) ? realpathSync(given) : given;
  const found = layout(join(root, "include"), join(root, "lib"), `LIBTORCH=${given}`);
  if (!found)
    throw new Error(`dime: LIBTORCH=${given} is not a libtorch folder (expected ${root}/include/ATen/ATen.h and ${root}/lib/libtorch.so)`);
  return found;
}

function fromPython(pythons) {
  for (const python of pythons) {
    let dir;
    try {
      dir = execFileSync(python, ["-c", "import os, torch; print(os.path.dirname(torch.__file__))"], {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "ignore"],
      }).trim();
    } catch {
      continue;
    }
    const found = layout(join(dir, "include"), join(dir, "lib"), `python torch at ${dir}`);
    if (found) return found;
  }
  return null;
}

function fromSystem(libDirs, includeDirs) {
  for (const libDir of libDirs) {
    for (const inc of includeDirs) {
      const found = layout(inc, libDir, "system");
      if (found) return found;
    }
  }
  return null;
}

// Gloo's headers: native/distributed.cc includes libtorch's ProcessGroupGloo.hpp, which includes
// <gloo/...>, and PyPI's torch wheels do not ship them. Debian's libgloo-dev puts them where the
// compiler looks by itself; a machine without it (a GPU server, the lent device) takes the copy
// that scripts/bundle.sh and scripts/device-pack.sh carry, or DIME_GLOO_INCLUDE. Returns the
// include folders to add (none when libtorch or the system has them) and the folder used.
function glooHeaders(includeRoot, where) {
  const given = "glooInclude" in where ? where.glooInclude : process.env.DIME_GLOO_INCLUDE;
  if (given) {
    if (!existsSync(join(given, GLOO_PROBE)))
      throw new Error(`dime: DIME_GLOO_INCLUDE=${given} holds no ${GLOO_PROBE} (name the folder that holds gloo/)`);
    return { dirs: [given], from: given };
  }
  if (existsSync(join(includeRoot, GLOO_PROBE))) return { dirs: [], from: includeRoot };
  // The bundle's gloo-headers/ sits beside native/; it goes before the system's, being the copy
  // the bundle was checked with.
  const packed = where.glooPacked ?? join(ROOT, "gloo-headers");
  if (existsSync(join(packed, GLOO_PROBE))) return { dirs: [packed], from: packed };
  const system = (where.systemIncludeDirs ?? SYSTEM_INCLUDE_DIRS).find((d) => existsSync(join(d, GLOO_PROBE)));
  if (system) return { dirs: [], from: system };
  throw new Error(GLOO_NOT_FOUND);
}

// ProcessGroupNCCL.hpp includes nccl.h and the headers of CUDA's runtime, cuBLAS, cuSPARSE and
// cuSOLVER. A torch wheel leaves them to PyPI's nvidia-* packages installed beside it
// (site-packages/nvidia/*/include); a libtorch zip to the CUDA toolkit. CUDA 13's runtime headers
// include two parts that are in none of the packages a cu13 torch depends on: crt/host_config.h
// (nvcc's nvidia-cuda-crt) and <nv/target> (CCCL's nvidia-cuda-cccl): the toolkit's, or
// DIME_CUDA_INCLUDE's (scripts/device-pack.sh carries both as cuda-headers/), take those parts.
// NCCL is compiled in only when all are found, else the addon builds with Gloo alone: {dirs} or
// {missing: the first header not found}.
const NCCL_HEADERS = [
  "nccl.h",
  "cuda_runtime_api.h",
  "crt/host_config.h",
  "nv/target",
  "cublas_v2.h",
  "cublasLt.h",
  "cusparse.h",
  "cusolverDn.h",
];
function ncclIncludes(includeRoot, where) {
  const nvidia = join(dirname(dirname(includeRoot)), "nvidia");
  const cudaHome = "cudaHome" in where ? where.cudaHome : process.env.CUDA_HOME;
  const cudaInclude = "cudaInclude" in where ? where.cudaInclude : process.env.DIME_CUDA_INCLUDE;
  const candidates = [
    ...(existsSync(nvidia) ? readdirSync(nvidia).map((d) => join(nvidia, d, "include")) : []),
    cudaInclude,
    cudaHome && join(cudaHome, "include"),
    ...(where.cudaIncludeDirs ?? ["/usr/local/cuda/include", ...SYSTEM_INCLUDE_DIRS]),
  ].filter((d) => d && existsSync(d));
  const dirs = [];
  for (const header of NCCL_HEADERS) {
    const hit = candidates.find((d) => existsSync(join(d, header)));
    if (!hit) return { missing: header };
    if (!dirs.includes(hit) && !SYSTEM_INCLUDE_DIRS.includes(hit)) dirs.push(hit);
  }
  // In the order searched, so that a toolkit's folder that supplied crt/ cannot shadow the
  // packages' cuBLAS or NCCL headers with its own versions.
  return { dirs: dirs.sort((x, y) => candidates.indexOf(x) - candidates.indexOf(y)) };
}

// The include folders beyond libtorch's own that the addon needs with this libtorch.
function withDependencies(found, where) {
  if (!found) return null;
  const gloo = glooHeaders(found.include[0], where);
  found.include.push(...gloo.dirs);
  found.gloo = gloo.from;
  found.nccl = false;
  if (found.cuda) {
    const nccl = ncclIncludes(found.include[0], where);
    if (nccl.missing) found.ncclMissing = nccl.missing;
    else {
      found.include.push(...nccl.dirs);
      found.nccl = true;
    }
  }
  return found;
}

/**
 * The libtorch to build against, or null. The search places can be replaced (tests do) through
 * `where`: {libtorch, pythons, systemLibDirs, systemIncludeDirs, glooInclude, glooPacked, cudaInclude,
 * cudaHome, cudaIncludeDirs}.
 * Throws when LIBTORCH is set but is not a libtorch folder, and when Gloo's headers are nowhere.
 */
export function findLibtorch(where = {}) {
  const root = "libtorch" in where ? where.libtorch : process.env.LIBTORCH;
  return withDependencies(
    fromEnv(root) ??
      fromPython(where.pythons ?? PYTHONS) ??
      fromSystem(where.systemLibDirs ?? SYSTEM_LIB_DIRS, where.systemIncludeDirs ?? SYSTEM_INCLUDE_DIRS),
    where,
  );
}

if (import.meta.url === `file://${process.argv[1]}`) {
  let found;
  try {
    found = findLibtorch();
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
  if (!found) {
    console.error(NOT_FOUND);
    process.exit(1);
  }
  const what = process.argv[2];
  if (what === "--include") console.log(found.include.join(" "));
  else if (what === "--libs") console.log(linkFlags(found));
  else if (what === "--std") console.log(`-std=${found.std}`);
  // USE_C10D_NCCL: a CUDA libtorch carries ProcessGroupNCCL (native/distributed.cc compiles it in
  // when NCCL's and CUDA's headers were found too).
  else if (what === "--defines") console.log(`_GLIBCXX_USE_CXX11_ABI=${found.cxx11Abi ? 1 : 0}${found.nccl ? " USE_C10D_NCCL" : ""}`);
  else console.log(JSON.stringify(found));
}
