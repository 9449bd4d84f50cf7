"""PyTorch definitions of the zoo models that torchvision does not have.

    LeNet        LeNet-5 as in D2L (28x28 Fashion-MNIST, 1 channel, 10 classes) with ReLU
                 and max-pooling; the module names equal models/lenet.json's node names
    NiN          Network in Network (Lin et al. 2013) as in D2L, for 224x224 RGB and
                 1000 classes: four NiN blocks (a conv and two 1x1 convs, each + ReLU),
                 3x3/2 max-pools, dropout, global average pooling (no dense layer)
    se_resnet50  SE-ResNet-50 (Hu et al. 2018): torchvision's ResNet-50 (v1.5, stride on
                 the 3x3 conv) with a squeeze-excitation block (reduction 16) on every
                 bottleneck's residual branch, before the addition.  The excitation's two
                 fully connected layers are 1x1 convolutions on the pooled [N, C, 1, 1]
                 value (torchvision.ops.SqueezeExcitation, as timm's SE-ResNets do):
                 the same arithmetic and parameters as nn.Linear, and the result stays
                 [N, C, 1, 1] so that it broadcasts over [N, C, H, W] (cnnc has no
                 reshape back from [N, C]).  28,088,024 parameters, as published.

Each class is usable by tools/export/cnnc_export.py as module:models/definitions.py:NAME;
`cnnc_input_shape` gives the input it is exported with.
"""

from collections import OrderedDict

import torch.nn as nn
from torchvision.models.resnet import Bottleneck, ResNet
from torchvision.ops import SqueezeExcitation


class LeNet(nn.Module):
    cnnc_input_shape = (1, 1, 28, 28)

    def __init__(self, num_classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, kernel_size=5, padding=2)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(6, 16, kernel_size=5)
        self.relu2 = nn.ReLU()
        self.pool2 = nn.MaxPool2d(2)
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.relu3 = nn.ReLU()
        self.fc2 = nn.Linear(120, 84)
        self.relu4 = nn.ReLU()
        self.fc3 = nn.Linear(84, num_classes)

    def forward(self, x):
        x = self.pool1(self.relu1(self.conv1(x)))
        x = self.pool2(self.relu2(self.conv2(x)))
        x = self.flatten(x)
        x = self.relu3(self.fc1(x))
        x = self.relu4(self.fc2(x))
        return self.fc3(x)


def nin_block(in_channels, out_channels, kernel_size, stride, padding):
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU(),
        nn.Conv2d(out_channels, out_channels, kernel_size=1), nn.ReLU())


class NiN(nn.Module):
    cnnc_input_shape = (1, 3, 224, 224)

    def __init__(self, num_classes=1000, in_channels=3):
        super().__init__()
        self.features = nn.Sequential(OrderedDict([
            ("block1", nin_block(in_channels, 96, 11, 4, 0)),
            ("pool1", nn.MaxPool2d(3, stride=2)),
            ("block2", nin_block(96, 256, 5, 1, 2)),
            ("pool2", nn.MaxPool2d(3, stride=2)),
            ("block3", nin_block(256, 384, 3, 1, 1)),
            ("pool3", nn.MaxPool2d(3, stride=2)),
            ("dropout", nn.Dropout(0.5)),
            ("block4", nin_block(384, num_classes, 3, 1, 1)),
        ]))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()

    def forward(self, x):
        return self.flatten(self.avgpool(self.features(x)))


class SEBottleneck(Bottleneck):
    """torchvision's Bottleneck with squeeze-excitation on the residual branch."""

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1,
                 base_width=64, dilation=1, norm_layer=None, reduction=16):
        super().__init__(inplanes, planes, stride, downsample, groups, base_width,
                         dilation, norm_layer)
        channels = planes * self.expansion
        self.se = SqueezeExcitation(channels, channels // reduction)

    def forward(self, x):
        identity = x
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out = self.se(out)
        if self.downsample is not None:
            identity = self.downsample(x)
        out += identity
        return self.relu(out)


def se_resnet50(num_classes=1000):
    model = ResNet(SEBottleneck, [3, 4, 6, 3], num_classes=num_classes)
    model.cnnc_input_shape = (1, 3, 224, 224)
    return model


# The zoo, in the order docs/zoo.md lists it: (name, exporter SPEC, description).
# models/<name>.json is what tools/export/cnnc_export.py writes for SPEC (models/make_zoo.sh);
# lenet.json is written by hand (it has a "training" section) and its graph equals the
# exporter's LeNet (test/Zoo/lenet.test checks it).  SPECs are relative to the repository.
ZOO = [
    ("lenet", "module:models/definitions.py:LeNet",
     "LeNet-5 (D2L: 28x28 Fashion-MNIST, ReLU, max-pool)"),
    ("alexnet", "torchvision:alexnet", "AlexNet (torchvision)"),
    ("vgg11", "torchvision:vgg11", "VGG-11 (torchvision, no batchnorm)"),
    ("nin", "module:models/definitions.py:NiN", "NiN (D2L blocks, 224x224 RGB, 1000 classes)"),
    ("googlenet", "torchvision:googlenet",
     "GoogLeNet / Inception v1 (torchvision, no aux classifiers)"),
    ("resnet18", "torchvision:resnet18", "ResNet-18 (torchvision)"),
    ("resnet50", "torchvision:resnet50", "ResNet-50 (torchvision, v1.5)"),
    ("densenet121", "torchvision:densenet121", "DenseNet-121 (torchvision)"),
    ("mobilenet_v2", "torchvision:mobilenet_v2", "MobileNetV2 (torchvision)"),
    ("shufflenet_v2_x1_0", "torchvision:shufflenet_v2_x1_0", "ShuffleNetV2 1.0x (torchvision)"),
    ("se_resnet50", "module:models/definitions.py:se_resnet50",
     "SE-ResNet-50 (Hu et al., reduction 16)"),
]
