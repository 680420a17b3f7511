// Stochastic gradient descent with momentum, dampening, Nesterov momentum and L2 weight decay,
// exactly as torch.optim.SGD.
import type { Tensor } from "../torch/index.js";
import { Optimizer, type BaseHyper, type ParamsArgument, type ParamState } from "./optimizer.js";

export interface SGDHyper extends BaseHyper {
  momentum: number;
  /** Scales down the gradient added to the momentum buffer: buf = momentum * buf + (1 - dampening) * g. */
  dampening: number;
  /** L2 penalty: weightDecay * param is added to the gradient. */
  weightDecay: number;
  nesterov: boolean;
}

export type SGDOptions = Partial<SGDHyper> & { lr: number };

export class SGD extends Optimizer<SGDHyper> {
  protected readonly stateTensorNames = ["momentum_buffer"] as const;

  /** lr is required (as in PyTorch 1.13); momentum, dampening and weightDecay default to 0. */
  constructor(params: ParamsArgument<SGDHyper>, options: SGDOptions) {
    super(params, {
      lr: options.lr,
      momentum: options.momentum ?? 0,
      dampening: options.dampening ?? 0,
      weightDecay: options.weightDecay ?? 0,
      nesterov: options.nesterov ?? false,
    });
  }

  protected validate(group: SGDHyper): void {
    if (!(group.lr >= 0)) throw new RangeError(`SGD: invalid learning rate ${group.lr}`);
    if (!(group.momentum >= 0)) throw new RangeError(`SGD: invalid momentum ${group.momentum}`);
    if (!(group.weightDecay >= 0)) throw new RangeError(`SGD: invalid weightDecay ${group.weightDecay}`);
    if (group.nesterov && (group.momentum <= 0 || group.dampening !== 0)) {
      throw new RangeError("SGD: Nesterov momentum needs momentum > 0 and dampening 0");
    }
  }

  // The single-tensor update of torch.optim.sgd (PyTorch 1.13), operation for operation.
  protected update(param: Tensor, grad: Tensor, group: SGDHyper, state: ParamState): void {
    const { lr, momentum, dampening, weightDecay, nesterov } = group;
    let d = weightDecay !== 0 ? grad.add(param, weightDecay) : grad;
    if (momentum !== 0) {
      let buffer = state.tensors.momentum_buffer;
      if (buffer === undefined) {
        buffer = this.keepState(d.clone());
        state.tensors.momentum_buffer = buffer;
      } else {
        buffer.mul_(momentum).add_(d, 1 - dampening);
      }
      d = nesterov ? d.add(buffer, momentum) : buffer;
    }
    param.add_(d, -lr);
  }
}
