//! Layers of the CIFAR zoo, initialised as in the CRD benchmark code (RepDistiller):
//! convolutions Kaiming-normal over fan-out, batch norms at weight 1 and bias 0.
use tch::nn::{self, init::FanInOut, init::NonLinearity, init::NormalOrUniform, Init};

/// Kaiming normal over fan-out for ReLU networks (PyTorch `kaiming_normal_(mode="fan_out")`).
const KAIMING_FAN_OUT: Init = Init::Kaiming {
    dist: NormalOrUniform::Normal,
    fan: FanInOut::FanOut,
    non_linearity: NonLinearity::ReLU,
};

/// A `kernel` x `kernel` convolution with padding `kernel / 2` (same size at stride 1).
pub(crate) fn conv(
    path: nn::Path,
    inputs: i64,
    outputs: i64,
    kernel: i64,
    stride: i64,
    bias: bool,
) -> nn::Conv2D {
    nn::conv2d(
        path,
        inputs,
        outputs,
        kernel,
        nn::ConvConfig {
            stride,
            padding: kernel / 2,
            bias,
            ws_init: KAIMING_FAN_OUT,
            bs_init: Init::Const(0.0),
            ..Default::default()
        },
    )
}

/// 2-D batch norm with PyTorch's defaults (eps 1e-5, momentum 0.1, weight 1, bias 0).
pub(crate) fn batch_norm(path: nn::Path, channels: i64) -> nn::BatchNorm {
    nn::batch_norm2d(
        path,
        channels,
        nn::BatchNormConfig {
            ws_init: Init::Const(1.0),
            bs_init: Init::Const(0.0),
            ..Default::default()
        },
    )
}

/// Global average pooling: B x C x H x W -> B x C.
pub(crate) fn global_average(xs: &tch::Tensor) -> tch::Tensor {
    xs.adaptive_avg_pool2d([1, 1]).flatten(1, -1)
}
