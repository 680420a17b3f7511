// The equivariance losses (paper eq. 14; FOMM's GeneratorFullModel): keypoints detected on X(D)
// and mapped back by X must match the keypoints of D, and so must their local jacobians.
import * as torch from "../../torch/index.js";
import type { Tensor } from "../../torch/index.js";
import type { TrainParams } from "../config/schema.js";
import type { Transform } from "./transform.js";
import type { Keypoints } from "../keypoint_detector.js";

export type EquivarianceWeights = Pick<TrainParams["loss_weights"], "equivariance_value" | "equivariance_jacobian">;

/** mean |kpDriving - X(kpTransformed)| over (B, K, 2), unweighted. */
export function equivarianceValueLoss(kpDriving: Tensor, kpTransformed: Tensor, transform: Transform): Tensor {
  return torch.tidy(() => kpDriving.sub(transform.warpCoordinates(kpTransformed)).abs().mean());
}

/**
 * mean |I - inverse(J_driving) (dX/dc at kpTransformed) J_transformed| over (B, K, 2, 2),
 * unweighted. jacobianDriving, jacobianTransformed (B, K, 2, 2); kpTransformed (B, K, 2).
 */
export function equivarianceJacobianLoss(
  jacobianDriving: Tensor,
  kpTransformed: Tensor,
  jacobianTransformed: Tensor,
  transform: Transform,
): Tensor {
  return torch.tidy(() => {
    const mapped = torch.matmul(transform.jacobian(kpTransformed), jacobianTransformed); // (B, K, 2, 2)
    const relative = torch.matmul(torch.linalg.inv(jacobianDriving), mapped); // (B, K, 2, 2)
    const eye = torch.eye(2, { dtype: relative.dtype, device: relative.device }); // (2, 2)
    return eye.sub(relative).abs().mean();
  });
}

/**
 * The weighted equivariance terms as a named map (`equivariance_value`, `equivariance_jacobian`);
 * zero-weighted terms are skipped, and so is the jacobian term when the keypoints carry no
 * jacobians. kpTransformed is the detector's output on transform.transformFrame(driving).
 */
export function equivarianceLosses(
  kpDriving: Keypoints,
  kpTransformed: Keypoints,
  transform: Transform,
  weights: EquivarianceWeights,
): Map<string, Tensor> {
  const withJacobians = [kpDriving.jacobian, kpTransformed.jacobian].filter((j) => j !== undefined).length;
  if (withJacobians === 1) {
    throw new TypeError(
      "equivarianceLosses: only one of kpDriving and kpTransformed has jacobians; both come from the same detector, so pass both or neither",
    );
  }
  return torch.tidy(() => {
    const losses = new Map<string, Tensor>();
    if (weights.equivariance_value !== 0) {
      losses.set(
        "equivariance_value",
        equivarianceValueLoss(kpDriving.value, kpTransformed.value, transform).mul(weights.equivariance_value),
      );
    }
    if (weights.equivariance_jacobian !== 0 && kpDriving.jacobian !== undefined && kpTransformed.jacobian !== undefined) {
      const value = equivarianceJacobianLoss(kpDriving.jacobian, kpTransformed.value, kpTransformed.jacobian, transform);
      losses.set("equivariance_jacobian", value.mul(weights.equivariance_jacobian));
    }
    return losses;
  });
}
