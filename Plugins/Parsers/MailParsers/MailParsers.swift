import SpoorKit
