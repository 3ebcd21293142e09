"""PyTorch eager reference of the benchmarked layers (our own code, written from ssm-math.md).

Reads a JSON job on stdin: {"layer": "s4d"|"s4-dplr"|"gss", "width": H or E, "N": .., "L": ..,
"threads": .., "reps": ..}; prints JSON {"ms": median wall ms, "cpu_ms": median CPU ms of the process (less disturbed by other work on a shared machine), "torch": version, "blas": the BLAS torch calls}. The layers compute what the ssmc graphs
compute (kernel generation + FFT convolution + the layer's dense parts), in float32, batch 1, with
torch's own rfft/irfft (pocketfft) — the eager path a PyTorch user would run.
"""
import json
import math
import sys
import time

import torch


def s4_block_head(kernel, H, L):
    """The S4 block around a kernel: FFT convolution, D skip, GELU, output Linear + GLU; u [1, L, H]."""
    D = torch.randn(H)
    W = torch.randn(2 * H, H) / math.sqrt(H)
    bias = torch.zeros(2 * H)

    def run(u):
        x = u.transpose(1, 2)
        k = kernel()
        n = 2 * L
        y = torch.fft.irfft(torch.fft.rfft(x, n=n) * torch.fft.rfft(k, n=n), n=n)[..., :L]
        y = torch.nn.functional.gelu(y + x * D.unsqueeze(-1)).transpose(1, 2)
        return torch.nn.functional.glu(y @ W.T + bias, dim=-1)

    return run


def s4d_layer(H, N, L):
    # S4D-Lin, ZOH, C = 1 channel, GELU, output Linear + GLU (s4-block, mode diag).
    A = torch.complex(-0.5 * torch.ones(H, N // 2), math.pi * torch.arange(N // 2).float().repeat(H, 1))
    dt = torch.exp(torch.rand(H, 1) * (math.log(0.1) - math.log(0.001)) + math.log(0.001))
    C = torch.randn(H, N // 2, dtype=torch.cfloat)

    def kernel():
        dtA = dt * A
        coef = C * (torch.exp(dtA) - 1) / A
        pos = torch.arange(L, dtype=torch.float32)
        return 2 * torch.einsum('hn,hnl->hl', coef, torch.exp(dtA.unsqueeze(-1) * pos)).real

    return s4_block_head(kernel, H, L), (1, L, H)


def s4_dplr_layer(H, N, L):
    # The DPLR kernel at the roots of unity: Cauchy sums + rank-1 Woodbury + bilinear factor, then irfft.
    n2 = N // 2
    Lam = torch.complex(-0.5 * torch.ones(n2), math.pi * torch.arange(n2).float())
    P = torch.randn(n2, dtype=torch.cfloat) * 0.5
    B = torch.randn(n2, dtype=torch.cfloat)
    Ct = torch.randn(H, n2, dtype=torch.cfloat)
    dt = torch.exp(torch.rand(H, 1) * (math.log(0.1) - math.log(0.001)) + math.log(0.001))

    def kernel():
        omega = torch.exp(-2j * math.pi * torch.arange(L // 2 + 1) / L).to(torch.cfloat)
        z = 2 / dt * (1 - omega) / (1 + omega)  # [H, F]
        v = [(Ct * B.conj()).unsqueeze(-1), (Ct * P.conj()).unsqueeze(-1), (P * B.conj()).unsqueeze(-1), (P * P.conj()).unsqueeze(-1)]
        denom = z.unsqueeze(1) - Lam.view(1, -1, 1)  # [H, n2, F]
        r = [(vi / denom).sum(1) for vi in v]
        k = r[0] - r[1] * r[2] / (1 + r[3])
        k = k * 2 / (1 + omega)
        return torch.fft.irfft(k, n=L)

    return s4_block_head(kernel, H, L), (1, L, H)


def gss_layer(E, N, L):
    F, H = 4 * E, E // 4
    ln = torch.nn.LayerNorm(E)
    ln2 = torch.nn.LayerNorm(H)
    to_u = torch.randn(F, E) / math.sqrt(E)
    to_v = torch.randn(H, E) / math.sqrt(E)
    lam = torch.complex(-torch.exp(torch.randn(N)), torch.exp(torch.randn(N)))
    C = torch.randn(H, N, dtype=torch.cfloat)
    D = torch.randn(H)
    to_gate = torch.randn(F, H) / math.sqrt(H)
    to_out = torch.randn(E, F) / math.sqrt(F)
    out_b = torch.zeros(E)

    def run(x):  # [1, L, E]
        xn = ln(x)
        gate = torch.nn.functional.gelu(xn @ to_u.T)
        s = torch.nn.functional.gelu(xn @ to_v.T)
        u = ln2(s).transpose(1, 2)  # [1, H, L]
        coef = C * (torch.exp(lam) - 1) / lam
        pos = torch.arange(L, dtype=torch.float32)
        k = (coef @ torch.exp(lam.unsqueeze(-1) * pos)).real  # [H, L]
        n = 2 * L
        y = torch.fft.irfft(torch.fft.rfft(u, n=n) * torch.fft.rfft(k, n=n), n=n)[..., :L]
        y = (y + u * D.unsqueeze(-1)).transpose(1, 2)
        return ((y @ to_gate.T) * gate) @ to_out.T + out_b + x

    return run, (1, L, E)


def blas_library():
    """The BLAS torch really calls: Debian's python3-torch links libblas.so.3, which is the slow
    reference BLAS unless an optimised one (libopenblas0) is installed, a 30-60x difference."""
    try:
        with open("/proc/self/maps") as maps:
            libs = {line.split()[-1] for line in maps if "blas" in line or "mkl" in line}
        for name in ("mkl", "openblas", "blis"):
            if any(name in lib for lib in libs):
                return name
        return "reference BLAS (slow: install libopenblas0)" if libs else "unknown"
    except OSError:
        return "unknown"


def main():
    job = json.loads(sys.stdin.read())
    torch.set_num_threads(job["threads"])
    torch.manual_seed(0)
    make = {"s4d": s4d_layer, "s4-dplr": s4_dplr_layer, "gss": gss_layer}[job["layer"]]
    run, shape = make(job["width"], job["N"], job["L"])
    x = torch.randn(*shape)
    times, cpu = [], []
    with torch.no_grad():
        run(x)
        for _ in range(job["reps"]):
            t, c = time.perf_counter(), time.process_time()
            run(x)
            times.append((time.perf_counter() - t) * 1e3)
            cpu.append((time.process_time() - c) * 1e3)
    times.sort()
    cpu.sort()
    print(json.dumps({"ms": times[len(times) // 2], "cpu_ms": cpu[len(cpu) // 2], "torch": torch.__version__, "blas": blas_library()}))


if __name__ == "__main__":
    main()
